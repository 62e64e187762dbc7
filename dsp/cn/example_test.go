package cn_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/voxgraph/voxgraph/dsp/cn"
)

func Example() {
	// The sender describes 200 ms of background hiss at about -50 dBov...
	rng := rand.New(rand.NewPCG(1, 2))
	hiss := make([]int16, 1600)
	prev := 0.0
	for i := range hiss {
		prev = 0.7*prev + 70*rng.NormFloat64() // low-pass: more power at low frequencies
		hiss[i] = int16(prev)
	}
	enc, err := cn.NewEncoder(8000, 4, len(hiss))
	if err != nil {
		panic(err)
	}
	sid := enc.Analyze(hiss)
	payload, _ := sid.Marshal() // the RTP payload of a CN packet (payload type 13)
	fmt.Printf("payload % x\n", payload)

	// ...and the receiver fills the silence with noise like it.
	got, err := cn.Parse(payload)
	if err != nil {
		panic(err)
	}
	gen, err := cn.NewGenerator(8000, 1)
	if err != nil {
		panic(err)
	}
	gen.Update(got)
	noise := make([]int16, 8000)
	gen.Generate(noise)
	var p float64
	for _, v := range noise {
		p += float64(v) * float64(v)
	}
	fmt.Printf("level -%d dBov coded, %.0f dBov generated\n", got.Level, 10*math.Log10(p/8000/(32768*32768)))
	// Output:
	// payload 33 28 83 83 82
	// level -51 dBov coded, -51 dBov generated
}
