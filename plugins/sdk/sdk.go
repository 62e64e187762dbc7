// Package sdk is what a codec plugin imports: Serve runs a process that
// serves codecs to voxgraph over the plugin protocol (plugins/proto, gRPC
// through hashicorp/go-plugin). A plugin is a small main package:
//
//	func main() {
//		sdk.Serve("my-codecs", codecs.Factory{
//			Codec:      codecs.Codec{Name: "X-MINE", PayloadType: 96, Dynamic: true, ClockRate: 8000, SampleRate: 8000, Channels: 1},
//			NewEncoder: newEncoder,
//			NewDecoder: newDecoder,
//		})
//	}
//
// Encoders and decoders are the same interfaces as in-process codecs
// (package codecs); docs/plugins.md teaches the rest. The host starts the
// plugin with an empty environment and talks to it only through the
// protocol, so a crash or a leak in the codec stays in this process.
package sdk

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/voxgraph/voxgraph/codecs"
	pluginpb "github.com/voxgraph/voxgraph/plugins/proto"
)

// ProtocolVersion is the plugin protocol's version: host and plugin refuse
// each other when they differ.
const ProtocolVersion = 1

// Handshake is go-plugin's handshake for voxgraph codec plugins. The cookie
// only keeps a plugin binary from being run by hand by mistake; it is not
// security.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "VOXGRAPH_CODEC_PLUGIN",
	MagicCookieValue: "voxgraph-codec-plugin-v1",
}

// PluginName is the name host and plugin dispense the codec service under.
const PluginName = "codec"

// MaxFrameBytes bounds one frame's data either way (a 120 ms 48 kHz stereo
// PCM frame is 23 KiB).
const MaxFrameBytes = 64 << 10

// Plugin is the go-plugin side of the codec service; hosts use it with a
// nil Impl.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl pluginpb.CodecServer
}

// GRPCServer registers the codec service.
func (p *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pluginpb.RegisterCodecServer(s, p.Impl)
	return nil
}

// GRPCClient returns the client of the codec service.
func (p *Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pluginpb.NewCodecClient(c), nil
}

// Serve serves the codecs until the host ends the plugin. name is the
// plugin's name, shown by `voxgraph plugins`.
func Serve(name string, factories ...codecs.Factory) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         map[string]plugin.Plugin{PluginName: &Plugin{Impl: NewServer(name, factories...)}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}

// Server implements the codec service over codec factories. Serve uses it;
// it is exported for tests that serve in process.
type Server struct {
	pluginpb.UnimplementedCodecServer
	name      string
	factories map[string]codecs.Factory
	info      []*pluginpb.CodecInfo

	mu       sync.Mutex
	next     uint64
	sessions map[uint64]*session
}

type session struct {
	mu  sync.Mutex
	enc codecs.Encoder
	dec codecs.Decoder
	pcm []int16
	out []byte
}

// NewServer returns a codec service serving the factories.
func NewServer(name string, factories ...codecs.Factory) *Server {
	s := &Server{name: name, factories: map[string]codecs.Factory{}, sessions: map[uint64]*session{}}
	for _, f := range factories {
		s.factories[f.Name] = f
		s.info = append(s.info, &pluginpb.CodecInfo{Name: f.Name, PayloadType: uint32(f.PayloadType), Dynamic: f.Dynamic,
			ClockRate: uint32(f.ClockRate), SampleRate: uint32(f.SampleRate), Channels: uint32(f.Channels), Fmtp: f.Fmtp, SdpChannels: uint32(f.SDPChannels)})
	}
	return s
}

// Info describes the plugin.
func (s *Server) Info(context.Context, *pluginpb.InfoRequest) (*pluginpb.InfoResponse, error) {
	return &pluginpb.InfoResponse{ProtocolVersion: ProtocolVersion, Plugin: s.name, Codecs: s.info}, nil
}

// Open starts an encoder or decoder session.
func (s *Server) Open(_ context.Context, req *pluginpb.OpenRequest) (*pluginpb.OpenResponse, error) {
	f, ok := s.factories[req.Codec]
	if !ok {
		return nil, fmt.Errorf("codec %q is not served here", req.Codec)
	}
	var p codecs.Params
	if len(req.Params) > 0 {
		p = codecs.Params(req.Params)
	}
	ss := &session{}
	var err error
	if req.Direction == pluginpb.Direction_DECODE {
		ss.dec, err = f.NewDecoder(p)
	} else {
		ss.enc, err = f.NewEncoder(p)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	s.mu.Lock()
	s.next++
	id := s.next
	s.sessions[id] = ss
	s.mu.Unlock()
	return &pluginpb.OpenResponse{Session: id}, nil
}

// Close ends sessions.
func (s *Server) Close(_ context.Context, req *pluginpb.CloseRequest) (*pluginpb.CloseResponse, error) {
	s.mu.Lock()
	var closing []*session
	for _, id := range req.Sessions {
		if ss := s.sessions[id]; ss != nil {
			closing = append(closing, ss)
		}
		delete(s.sessions, id)
	}
	s.mu.Unlock()
	for _, ss := range closing { // free a C codec's state now, not at GC
		ss.mu.Lock()
		for _, c := range []any{ss.enc, ss.dec} {
			if cl, ok := c.(io.Closer); ok {
				_ = cl.Close()
			}
		}
		ss.mu.Unlock()
	}
	return &pluginpb.CloseResponse{}, nil
}

// Process runs each frame through its session.
func (s *Server) Process(_ context.Context, b *pluginpb.Batch) (*pluginpb.Batch, error) {
	out := &pluginpb.Batch{Frames: make([]*pluginpb.Frame, len(b.Frames))}
	for i, f := range b.Frames {
		r := &pluginpb.Frame{Session: f.Session}
		out.Frames[i] = r
		s.mu.Lock()
		ss := s.sessions[f.Session]
		s.mu.Unlock()
		if ss == nil {
			r.Error = "unknown session"
			continue
		}
		data, err := ss.run(f.Data)
		if err != nil {
			r.Error = err.Error()
			continue
		}
		r.Data = data
	}
	return out, nil
}

// run encodes or decodes one frame.
func (ss *session) run(in []byte) ([]byte, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(in) > MaxFrameBytes {
		return nil, fmt.Errorf("frame of %d bytes, at most %d", len(in), MaxFrameBytes)
	}
	if ss.enc != nil {
		if len(in)%2 != 0 {
			return nil, errors.New("PCM of an odd number of bytes")
		}
		ss.pcm = ss.pcm[:0]
		for i := 0; i+1 < len(in); i += 2 {
			ss.pcm = append(ss.pcm, int16(binary.LittleEndian.Uint16(in[i:])))
		}
		ss.out = growBytes(ss.out, ss.enc.MaxEncodedLen(len(ss.pcm)))
		n, err := ss.enc.Encode(ss.out, ss.pcm)
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), ss.out[:n]...), nil
	}
	ss.pcm = growInt16(ss.pcm, ss.dec.MaxDecodedLen(len(in)))
	n, err := ss.dec.Decode(ss.pcm, in)
	if err != nil {
		return nil, err
	}
	res := make([]byte, 2*n)
	for i, v := range ss.pcm[:n] {
		binary.LittleEndian.PutUint16(res[2*i:], uint16(v))
	}
	return res, nil
}

func growBytes(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

func growInt16(b []int16, n int) []int16 {
	if cap(b) < n {
		return make([]int16, n)
	}
	return b[:n]
}
