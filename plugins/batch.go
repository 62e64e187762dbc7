package plugins

import (
	"context"
	"fmt"
	"sync"
	"time"

	pluginpb "github.com/voxgraph/voxgraph/plugins/proto"
	"github.com/voxgraph/voxgraph/plugins/sdk"
)

// roundWait is how long a round waits for sessions that took part in the
// last one before it is sent without them (a graph tick spreads its calls
// over a few hundred microseconds; a stream that ended is simply absent).
const roundWait = 5 * time.Millisecond

// activeFor is how long a session counts as taking part in rounds after
// its last frame.
const activeFor = 100 * time.Millisecond

// batcher collects the frames the sessions of one plugin submit and sends
// each round as one Process exchange: a round goes out when every active
// session (one that submitted in the last activeFor) is in it, or
// roundWait after its first frame. Submitting never blocks; results reach
// the sessions for their next call.
type batcher struct {
	p *Plugin

	mu      sync.Mutex
	gen     uint64 // process the round is for
	frames  []*pluginpb.Frame
	owners  []*remote
	timer   *time.Timer
	members map[*remote]time.Time // active sessions and their last frame

	exchanges, frameCount uint64 // guarded by mu (tests, stats)
}

// submit adds r's frame (data is the batch's own copy) to the round.
func (b *batcher) submit(r *remote, gen uint64, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.gen && len(b.frames) > 0 {
		b.sendLocked() // frames for a process that is gone: fail them now
	}
	b.gen = gen
	b.frames = append(b.frames, &pluginpb.Frame{Session: r.id, Data: data})
	b.owners = append(b.owners, r)
	if b.members == nil {
		b.members = map[*remote]time.Time{}
	}
	b.members[r] = time.Now()
	if len(b.frames) >= len(b.members) {
		b.sendLocked()
		return
	}
	if b.timer == nil {
		b.timer = time.AfterFunc(roundWait, func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.timer = nil
			if len(b.frames) > 0 {
				b.sendLocked()
			}
		})
	}
}

// sendLocked sends the round on its own goroutine (the caller holds mu).
func (b *batcher) sendLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	frames, owners, gen := b.frames, b.owners, b.gen
	b.frames, b.owners = nil, nil
	now := time.Now()
	for r, at := range b.members { // sessions that stopped leave the rounds
		if now.Sub(at) > activeFor {
			delete(b.members, r)
		}
	}
	b.exchanges++
	b.frameCount += uint64(len(frames))
	go b.exchange(gen, frames, owners)
}

// exchange runs one round and hands each session its result.
func (b *batcher) exchange(gen uint64, frames []*pluginpb.Frame, owners []*remote) {
	fail := func(err error) {
		if err != nil {
			b.p.fail(gen, err)
		}
		for _, r := range owners {
			r.deliver(result{failed: true})
		}
	}
	b.p.mu.Lock()
	rpc, cur := b.p.rpc, b.p.gen
	b.p.mu.Unlock()
	if rpc == nil || cur != gen {
		fail(nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.p.host.cfg.Timeout)
	defer cancel()
	out, err := rpc.Process(ctx, &pluginpb.Batch{Frames: frames})
	if err != nil {
		fail(err)
		return
	}
	if len(out.Frames) != len(frames) {
		fail(fmt.Errorf("plugin %s answered a batch of %d with %d frames", b.p.Name, len(frames), len(out.Frames)))
		return
	}
	for i, f := range out.Frames {
		if f.Session != frames[i].Session || len(f.Data) > sdk.MaxFrameBytes {
			fail(fmt.Errorf("plugin %s answered frame %d of a batch with garbage", b.p.Name, i))
			return
		}
	}
	for i, f := range out.Frames {
		owners[i].deliver(frameResult(b.p, f))
	}
}

// Exchanges reports how many Process exchanges carried how many frames
// (batched plugins).
func (p *Plugin) Exchanges() (exchanges, frames uint64) {
	p.batcher.mu.Lock()
	defer p.batcher.mu.Unlock()
	return p.batcher.exchanges, p.batcher.frameCount
}
