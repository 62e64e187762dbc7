package plugins

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/voxgraph/voxgraph/codecs"
	pluginpb "github.com/voxgraph/voxgraph/plugins/proto"
	"github.com/voxgraph/voxgraph/plugins/sdk"
)

// remote is an encoder or decoder session in a plugin process. It opens
// its session on the first frame and again after the process restarted.
//
// Unbatched, each frame is one Process exchange and its result comes back
// at once. Batched (Config.Batch), a frame joins the plugin's batch for
// this round and the call returns the result of the session's previous
// frame: one frame of latency, one exchange per round for all sessions.
type remote struct {
	p      *Plugin
	codec  codecs.Codec
	dir    pluginpb.Direction
	params map[string]string

	id, gen uint64 // session id on the process of generation gen (0: none)
	data    []byte // PCM as bytes, reused (unbatched)
	lastLen int    // samples of the last decoded frame, for concealment

	mu      sync.Mutex
	results []result // batched: results not yet taken, oldest first
}

// result is what came back for one frame: data, or failed.
type result struct {
	data   []byte
	failed bool  // the plugin failed (crash, hang, garbage): conceal or drop
	err    error // the codec refused this frame
}

// open returns a session of codec c; nothing runs until the first frame.
func (p *Plugin) open(c codecs.Codec, dir pluginpb.Direction, params codecs.Params) (*remote, error) {
	r := &remote{p: p, codec: c, dir: dir, params: map[string]string(params)}
	r.lastLen = c.SampleRate * max(c.Channels, 1) / 50 // 20 ms until a frame says otherwise
	return r, nil
}

// session makes sure the session is open on the running process and
// returns its generation.
func (r *remote) session() (pluginpb.CodecClient, uint64, error) {
	rpc, gen, err := r.p.ensure()
	if err != nil {
		return nil, 0, err
	}
	if r.gen != gen {
		ctx, cancel := context.WithTimeout(context.Background(), r.p.host.cfg.Timeout)
		res, err := rpc.Open(ctx, &pluginpb.OpenRequest{Codec: r.codec.Name, Direction: r.dir, Params: r.params})
		cancel()
		if err != nil {
			r.p.fail(gen, err)
			return nil, 0, err
		}
		r.id, r.gen = res.Session, gen
	}
	return rpc, gen, nil
}

// run passes one frame through the plugin and returns the result due now:
// this frame's (unbatched) or an earlier frame's (batched; ok is false
// while none has come back yet). owned says in is the call's own slice,
// which a batch may keep; otherwise a batch keeps a copy.
func (r *remote) run(in []byte, owned bool) (res result, ok bool) {
	rpc, gen, err := r.session()
	if err != nil {
		return result{failed: true}, true
	}
	if r.p.host.cfg.Batch {
		res, ok = r.take()
		if !owned {
			in = append([]byte(nil), in...)
		}
		r.p.batcher.submit(r, gen, in)
		return res, ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.p.host.cfg.Timeout)
	defer cancel()
	out, err := rpc.Process(ctx, &pluginpb.Batch{Frames: []*pluginpb.Frame{{Session: r.id, Data: in}}})
	if err != nil {
		r.p.fail(gen, err)
		return result{failed: true}, true
	}
	if len(out.Frames) != 1 || out.Frames[0].Session != r.id || len(out.Frames[0].Data) > sdk.MaxFrameBytes {
		r.p.fail(gen, fmt.Errorf("plugin %s answered a batch of 1 with garbage", r.p.Name))
		return result{failed: true}, true
	}
	return frameResult(r.p, out.Frames[0]), true
}

// frameResult is one frame's result from a plugin's answer.
func frameResult(p *Plugin, f *pluginpb.Frame) result {
	if f.Error != "" {
		return result{err: fmt.Errorf("plugin %s: %s: %w", p.Name, f.Error, codecs.ErrBadPayload)}
	}
	return result{data: f.Data}
}

// take returns the oldest result that came back, if any.
func (r *remote) take() (result, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.results) == 0 {
		return result{}, false
	}
	res := r.results[0]
	r.results = r.results[1:]
	return res, true
}

// deliver stores a batched frame's result for the session's next call.
func (r *remote) deliver(res result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.results) < 8 { // a session that stopped calling keeps no backlog
		r.results = append(r.results, res)
	}
}

// Encode encodes pcm in the plugin. When the plugin fails the frame is
// dropped (0 bytes, counted) and the stream goes on: the receiver conceals
// the gap. Batched, the first call returns 0 bytes (nothing is back yet).
func (r *remote) Encode(dst []byte, pcm []int16) (int, error) {
	// Unbatched, the exchange is over when run returns: reuse a buffer.
	// Batched, the round keeps the bytes: give it a slice of its own.
	data := r.data
	if batched := r.p.host.cfg.Batch; batched || cap(data) < 2*len(pcm) {
		data = make([]byte, 2*len(pcm))
		if !batched {
			r.data = data
		}
	}
	data = data[:2*len(pcm)]
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(v))
	}
	res, ok := r.run(data, true)
	switch {
	case !ok:
		return 0, nil
	case res.err != nil:
		return 0, res.err
	case res.failed:
		r.p.dropped.Add(1)
		return 0, nil
	case len(res.data) > len(dst):
		r.p.dropped.Add(1)
		return 0, fmt.Errorf("plugin %s: %d bytes for a %d-byte buffer: %w", r.p.Name, len(res.data), len(dst), codecs.ErrShortBuffer)
	}
	return copy(dst, res.data), nil
}

// MaxEncodedLen bounds a frame's payload: no codec voxgraph carries
// expands PCM (16 bits a sample) by more than this.
func (r *remote) MaxEncodedLen(samples int) int { return 2*samples + 256 }

// Decode decodes payload in the plugin. When the plugin fails (or answers
// with garbage) the frame is concealed with silence as long as the last
// one, and counted: the stream carries on. Batched, the first call returns
// no samples (nothing is back yet).
func (r *remote) Decode(dst []int16, payload []byte) (int, error) {
	res, ok := r.run(payload, false)
	if !ok {
		return 0, nil
	}
	if res.err == nil && !res.failed && (len(res.data)%2 != 0 || len(res.data)/2 > len(dst)) {
		res.failed = true // garbage: more samples than a frame can hold
	}
	if res.err != nil || res.failed {
		n := min(r.lastLen, len(dst))
		clear(dst[:n])
		r.p.concealed.Add(1)
		return n, nil
	}
	n := len(res.data) / 2
	for i := range n {
		dst[i] = int16(binary.LittleEndian.Uint16(res.data[2*i:]))
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
