package dtmf_test

import (
	"fmt"
	"time"

	"github.com/voxgraph/voxgraph/dsp/dtmf"
)

func Example() {
	// 8 kHz audio with "42#", 50 ms per digit and 50 ms pauses.
	pcm, err := dtmf.Sequence(nil, 8000, "42#", 50*time.Millisecond, 50*time.Millisecond, -10, 0)
	if err != nil {
		panic(err)
	}
	d, err := dtmf.New(dtmf.Config{Rate: 8000})
	if err != nil {
		panic(err)
	}
	events := make([]dtmf.Event, 0, 8) // caller-owned: no allocation per frame
	for len(pcm) > 0 {
		n := min(160, len(pcm)) // 20 ms frames
		events = d.Process(pcm[:n], events)
		pcm = pcm[n:]
	}
	events = d.Flush(events)
	for _, e := range events {
		if e.End {
			fmt.Printf("%c at %.2f s for %.2f s\n", e.Digit, e.Start.Seconds(), e.Duration.Seconds())
		}
	}
	// Output:
	// 4 at 0.00 s for 0.05 s
	// 2 at 0.10 s for 0.05 s
	// # at 0.20 s for 0.05 s
}
