package sdp_test

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/voxgraph/voxgraph/sip/sdp"
)

// show prints SDP with LF line ends (it is CRLF on the wire).
func show(b []byte) { fmt.Print(strings.ReplaceAll(string(b), "\r\n", "\n")) }

func ExampleBuildOffer() {
	offer, err := sdp.BuildOffer(sdp.OfferParams{
		SessionID:      1001,
		Version:        1,
		Addr:           netip.MustParseAddr("192.0.2.10"),
		Port:           40000,
		Codecs:         []string{"PCMA", "PCMU"}, // registry names, preferred first
		TelephoneEvent: true,
		PTime:          20 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	show(offer)
	// Output:
	// v=0
	// o=- 1001 1 IN IP4 192.0.2.10
	// s=voxgraph
	// c=IN IP4 192.0.2.10
	// t=0 0
	// m=audio 40000 RTP/AVP 8 0 101
	// a=rtpmap:8 PCMA/8000
	// a=rtpmap:0 PCMU/8000
	// a=rtpmap:101 telephone-event/8000
	// a=fmtp:101 0-16
	// a=ptime:20
	// a=sendrecv
}

func ExampleAnswer() {
	offer, err := sdp.Parse([]byte("v=0\r\n" +
		"o=alice 2890844526 2890844526 IN IP4 198.51.100.20\r\n" +
		"s=-\r\n" +
		"c=IN IP4 198.51.100.20\r\n" +
		"t=0 0\r\n" +
		"m=audio 49170 RTP/AVP 9 0 8 96\r\n" +
		"a=rtpmap:96 telephone-event/8000\r\n" +
		"a=fmtp:96 0-15\r\n" +
		"a=ptime:30\r\n" +
		"m=video 51372 RTP/AVP 31\r\n"))
	if err != nil {
		fmt.Println(err) // reply 400
		return
	}
	answer, neg, err := sdp.Answer(offer, sdp.AnswerParams{
		SessionID:      2002,
		Version:        1,
		Addr:           netip.MustParseAddr("192.0.2.10"),
		Port:           40002,
		Codecs:         []string{"PCMA", "PCMU"}, // ours, preferred first: PCMA wins over the offer's order
		TelephoneEvent: true,
	})
	if err != nil {
		fmt.Println(err) // ErrNoCommonCodec, ErrSRTPRequired, …: reply 488
		return
	}
	show(answer)
	fmt.Println(neg)
	// Output:
	// v=0
	// o=- 2002 1 IN IP4 192.0.2.10
	// s=voxgraph
	// c=IN IP4 192.0.2.10
	// t=0 0
	// m=audio 40002 RTP/AVP 8 96
	// a=rtpmap:8 PCMA/8000
	// a=rtpmap:96 telephone-event/8000
	// a=fmtp:96 0-16
	// a=sendrecv
	// m=video 0 RTP/AVP 31
	// PCMA/8000 pt=8 + telephone-event/8000 pt=96 → 198.51.100.20:49170 sendrecv ptime=30ms
}

func ExampleApplyAnswer() {
	body, _ := sdp.BuildOffer(sdp.OfferParams{
		SessionID: 7, Version: 1,
		Addr: netip.MustParseAddr("192.0.2.10"), Port: 40000,
		Codecs: []string{"PCMU", "PCMA"},
	})
	offer, _ := sdp.Parse(body) // our own offer, as a Session
	answer, err := sdp.Parse([]byte("v=0\r\no=- 5 1 IN IP4 203.0.113.9\r\ns=-\r\nc=IN IP4 203.0.113.9\r\nt=0 0\r\n" +
		"m=audio 30000 RTP/AVP 8\r\na=recvonly\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	neg, err := sdp.ApplyAnswer(offer, answer)
	if err != nil {
		fmt.Println(err) // ErrBadAnswer, ErrRejected, …: ACK and BYE
		return
	}
	fmt.Println(neg)
	// Output:
	// PCMA/8000 pt=8 → 203.0.113.9:30000 sendonly ptime=20ms
}
