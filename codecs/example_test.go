package codecs_test

import (
	"errors"
	"fmt"

	"github.com/voxgraph/voxgraph/codecs"
)

func Example() {
	f, ok := codecs.Default.Lookup("pcmu")
	if !ok {
		panic("no PCMU")
	}
	enc, _ := f.NewEncoder(nil)
	dec, _ := f.NewDecoder(nil)

	pcm := []int16{0, 1000, -1000, 32767}
	payload := make([]byte, enc.MaxEncodedLen(len(pcm))) // allocate once, reuse per frame
	n, _ := enc.Encode(payload, pcm)
	fmt.Printf("%s: % x\n", f.Codec, payload[:n])

	out := make([]int16, dec.MaxDecodedLen(n))
	m, _ := dec.Decode(out, payload[:n])
	fmt.Println(out[:m])
	// Output:
	// PCMU/8000 pt=0: ff ce 4e 80
	// [0 988 -988 32124]
}

func ExampleRegistry_ByPayloadType() {
	for _, pt := range []uint8{0, 8, 96} {
		if f, ok := codecs.Default.ByPayloadType(pt); ok {
			fmt.Println(pt, f.Name)
		} else {
			fmt.Println(pt, "dynamic or unknown")
		}
	}
	// Output:
	// 0 PCMU
	// 8 PCMA
	// 96 dynamic or unknown
}

func ExampleRegistry_Names() {
	fmt.Println(codecs.Default.Names())
	// Output: [L16 PCMA PCMU]
}

func ExampleL16Codec() {
	c, err := codecs.L16Codec(codecs.Params{"rate": "16000", "channels": "2"})
	fmt.Println(c, err)
	_, err = codecs.L16Codec(codecs.Params{"rate": "22050"})
	fmt.Println(errors.Is(err, codecs.ErrBadParams))
	// Output:
	// L16/16000/2 pt=96 <nil>
	// true
}

func ExampleL16Decoder_Decode() {
	var dec codecs.L16Decoder
	pcm := make([]int16, 2)
	n, err := dec.Decode(pcm, []byte{0x7F, 0xFF, 0x80, 0x00})
	fmt.Println(pcm[:n], err)
	_, err = dec.Decode(pcm, []byte{0x00, 0x01, 0x02})
	fmt.Println(err, errors.Is(err, codecs.ErrBadPayload))
	// Output:
	// [32767 -32768] <nil>
	// l16: odd payload length 3: malformed payload true
}

func ExampleUlawToAlaw() {
	ulaw := []byte{0xFF, 0x80, 0x00}
	alaw := make([]byte, len(ulaw))
	n, _ := codecs.UlawToAlaw(alaw, ulaw)
	fmt.Printf("% x\n", alaw[:n])
	// Output: d5 aa 2a
}
