package plugins

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/voxgraph/voxgraph/codecs"
	pluginpb "github.com/voxgraph/voxgraph/plugins/proto"
	"github.com/voxgraph/voxgraph/plugins/sdk"
)

// remote is an encoder or decoder session in a plugin process. It opens
// its session on the first frame and again after the process restarted.
type remote struct {
	p      *Plugin
	codec  codecs.Codec
	dir    pluginpb.Direction
	params map[string]string

	id, gen uint64 // session id on the process of generation gen (0: none)
	data    []byte // PCM as bytes, reused
	lastLen int    // samples of the last decoded frame, for concealment
}

// open returns a session of codec c; nothing runs until the first frame.
func (p *Plugin) open(c codecs.Codec, dir pluginpb.Direction, params codecs.Params) (*remote, error) {
	r := &remote{p: p, codec: c, dir: dir, params: map[string]string(params)}
	r.lastLen = c.SampleRate * max(c.Channels, 1) / 50 // 20 ms until a frame says otherwise
	return r, nil
}

// call runs one frame through the plugin. A failure of the plugin itself
// (no answer, a hang past the timeout, garbage) restarts it; a codec error
// on this frame does not.
func (r *remote) call(in []byte) ([]byte, error) {
	rpc, gen, err := r.p.ensure()
	if err != nil {
		return nil, err
	}
	timeout := r.p.host.cfg.Timeout
	if r.gen != gen {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		res, err := rpc.Open(ctx, &pluginpb.OpenRequest{Codec: r.codec.Name, Direction: r.dir, Params: r.params})
		cancel()
		if err != nil {
			r.p.fail(gen, err)
			return nil, err
		}
		r.id, r.gen = res.Session, gen
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := rpc.Process(ctx, &pluginpb.Batch{Frames: []*pluginpb.Frame{{Session: r.id, Data: in}}})
	if err != nil {
		r.p.fail(gen, err)
		return nil, err
	}
	if len(res.Frames) != 1 || res.Frames[0].Session != r.id || len(res.Frames[0].Data) > sdk.MaxFrameBytes {
		err := fmt.Errorf("plugin %s answered a batch of 1 with garbage", r.p.Name)
		r.p.fail(gen, err)
		return nil, err
	}
	if e := res.Frames[0].Error; e != "" {
		return nil, fmt.Errorf("plugin %s: %s: %w", r.p.Name, e, codecs.ErrBadPayload)
	}
	return res.Frames[0].Data, nil
}

// Encode encodes pcm in the plugin. When the plugin fails, the frame is
// dropped (an error, counted): the receiver conceals the gap.
func (r *remote) Encode(dst []byte, pcm []int16) (int, error) {
	if cap(r.data) < 2*len(pcm) {
		r.data = make([]byte, 2*len(pcm))
	}
	r.data = r.data[:2*len(pcm)]
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(r.data[2*i:], uint16(v))
	}
	out, err := r.call(r.data)
	if err != nil {
		r.p.dropped.Add(1)
		return 0, err
	}
	if len(out) > len(dst) {
		r.p.dropped.Add(1)
		return 0, fmt.Errorf("plugin %s: %d bytes for a %d-byte buffer: %w", r.p.Name, len(out), len(dst), codecs.ErrShortBuffer)
	}
	return copy(dst, out), nil
}

// MaxEncodedLen bounds a frame's payload: no codec voxgraph carries
// expands PCM (16 bits a sample) by more than this.
func (r *remote) MaxEncodedLen(samples int) int { return 2*samples + 256 }

// Decode decodes payload in the plugin. When the plugin fails (or answers
// with garbage) the frame is concealed with silence as long as the last
// one, and counted: the stream carries on.
func (r *remote) Decode(dst []int16, payload []byte) (int, error) {
	out, err := r.call(payload)
	if err == nil && (len(out)%2 != 0 || len(out)/2 > len(dst)) {
		err = fmt.Errorf("plugin %s: %d bytes of PCM for %d samples: %w", r.p.Name, len(out), len(dst), codecs.ErrBadPayload)
	}
	if err != nil {
		n := min(r.lastLen, len(dst))
		clear(dst[:n])
		r.p.concealed.Add(1)
		return n, nil
	}
	n := len(out) / 2
	for i := range n {
		dst[i] = int16(binary.LittleEndian.Uint16(out[2*i:]))
	}
	r.lastLen = n
	return n, nil
}

// MaxDecodedLen bounds a frame's samples: 120 ms of audio, or 8 samples a
// byte (G.729's ratio), whichever is more.
func (r *remote) MaxDecodedLen(payloadLen int) int {
	return max(r.codec.SampleRate*max(r.codec.Channels, 1)*120/1000, 8*payloadLen)
}

// Close ends the session in the plugin process.
func (r *remote) Close() error {
	r.p.mu.Lock()
	rpc, gen := r.p.rpc, r.p.gen
	r.p.mu.Unlock()
	if rpc == nil || gen != r.gen || r.id == 0 {
		return nil // the process that held the session is gone: so is the session
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.p.host.cfg.Timeout)
	defer cancel()
	_, err := rpc.Close(ctx, &pluginpb.CloseRequest{Sessions: []uint64{r.id}})
	return err
}
