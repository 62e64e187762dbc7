package sdp

import (
	"testing"
	"time"
)

// SDP is handled once per call (or re-INVITE), not per frame: allocations
// are reported, not avoided.

func BenchmarkParse(b *testing.B) {
	for _, file := range []string{"asterisk.sdp", "freeswitch_savp.sdp", "linphone.sdp"} {
		raw := readSDP(b, file)
		b.Run(file, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Parse(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAnswer(b *testing.B) {
	reg := testRegistry(b)
	for _, tt := range []struct {
		file string
		p    AnswerParams
	}{
		{"asterisk.sdp", AnswerParams{Codecs: []string{"G722", "PCMU", "PCMA"}, TelephoneEvent: true}},
		{"freeswitch_savp.sdp", AnswerParams{Codecs: []string{"G722", "PCMU", "PCMA"}, TelephoneEvent: true, SRTP: SRTPRequired, Key: fixedKey}},
		{"linphone.sdp", AnswerParams{Codecs: []string{"opus", "PCMU"}, TelephoneEvent: true}},
	} {
		offer := mustParse(b, readSDP(b, tt.file))
		p := tt.p
		p.Addr, p.Port, p.PTime, p.Registry = ourAddr, 40000, 20*time.Millisecond, reg
		b.Run(tt.file, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Answer(offer, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBuildOffer(b *testing.B) {
	p := goldenOfferParams(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildOffer(p); err != nil {
			b.Fatal(err)
		}
	}
}
