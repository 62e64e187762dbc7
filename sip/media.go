package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Leg is what offer/answer settled for one side of a call: the codec, the
// addresses, and SRTP keys when used.
type Leg struct {
	Codec     string         // registry name, e.g. "PCMU"
	PT        uint8          // payload type we send the codec with (the peer's choice)
	RecvPT    uint8          // payload type the peer sends it with
	Local     netip.AddrPort // where we receive RTP
	Remote    netip.AddrPort // where the peer receives RTP (may be unknown: symmetric RTP learns it)
	RxKey     string         // the peer's SDES key (we decrypt with it); "" for plain RTP
	TxKey     string         // our SDES key; "" for plain RTP
	SRTPSuite string         // crypto suite of both keys
	// Events says RFC 4733 telephone-events were agreed: we send them with
	// EventPT, the peer with RecvEventPT.
	Events               bool
	EventPT, RecvEventPT uint8
	// Fmtp is the peer's a=fmtp for the codec, what its decoder wants
	// (RFC 7587's maxaveragebitrate, useinbandfec, usedtx for Opus), which
	// our encoder for the leg follows; channel preferences are left out
	// (see encoderFmtp).
	Fmtp string
}

// encoderFmtp is a peer's fmtp for our encoder (keys sorted): without "stereo" and
// "sprop-stereo", which RFC 7587 makes preferences only; the media graph
// carries one channel, so we send mono, which every Opus receiver decodes.
func encoderFmtp(fmtp string) string {
	p := codecs.ParseFmtp(fmtp)
	delete(p, "stereo")
	delete(p, "sprop-stereo")
	return p.Fmtp()
}

// eventPTs are the leg's telephone-event payload types as element
// properties: -1 when events were not agreed.
func (l Leg) eventPTs() (send, recv string) {
	if !l.Events {
		return "-1", "-1"
	}
	return strconv.Itoa(int(l.EventPT)), strconv.Itoa(int(l.RecvEventPT))
}

// rate is the PCM sample rate of the leg's codec.
func (l Leg) rate() (int, error) {
	f, ok := codecs.Default.Lookup(l.Codec)
	if !ok {
		return 0, fmt.Errorf("codec %q is not registered", l.Codec)
	}
	return f.SampleRate, nil
}

func (l Leg) remote() string {
	if l.Remote.IsValid() {
		return l.Remote.String()
	}
	return ""
}

// callVars fills the b2bua template's variables for legs a and b.
func callVars(a, b Leg, rtpTimeout time.Duration) (map[string]string, error) {
	ar, err := a.rate()
	if err != nil {
		return nil, err
	}
	br, err := b.rate()
	if err != nil {
		return nil, err
	}
	v := map[string]string{"rtp_timeout": rtpTimeout.String()}
	a.vars("a_", v)
	b.vars("b_", v)
	v["a_rate"], v["b_rate"] = strconv.Itoa(ar), strconv.Itoa(br)
	return v, nil
}

// vars fills a call template's variables for this leg, each name prefixed:
// local, remote, codec, fmtp, pt, rpt, event_pt, revent_pt, rx_key, tx_key and
// profile.
func (l Leg) vars(prefix string, v map[string]string) {
	v[prefix+"local"] = l.Local.String()
	v[prefix+"remote"] = l.remote()
	v[prefix+"codec"] = l.Codec
	v[prefix+"fmtp"] = l.Fmtp
	v[prefix+"pt"] = strconv.Itoa(int(l.PT))
	v[prefix+"rpt"] = strconv.Itoa(int(l.RecvPT))
	v[prefix+"event_pt"], v[prefix+"revent_pt"] = l.eventPTs()
	v[prefix+"rx_key"] = l.RxKey
	v[prefix+"tx_key"] = l.TxKey
	v[prefix+"profile"] = l.profile()
}

// profile is the SRTP profile of the leg's keys (used only when keyed).
func (l Leg) profile() string {
	if l.SRTPSuite == "" {
		return "AES_CM_128_HMAC_SHA1_80"
	}
	return l.SRTPSuite
}

// buildCallGraph builds the b2bua template for a call between legs a and b.
func buildCallGraph(name string, a, b Leg, rtpTimeout time.Duration, log *slog.Logger) (*pipeline.Graph, error) {
	vars, err := callVars(a, b, rtpTimeout)
	if err != nil {
		return nil, err
	}
	template := "std:b2bua"
	if a.Codec == b.Codec {
		template = "std:b2bua-relay" // same codec: no decoding
	}
	spec, err := graphs.Resolve(template, vars)
	if err != nil {
		return nil, err
	}
	spec.Name = name
	return pipeline.Build(spec, pipeline.WithLogger(log))
}

// phoneGraph is the media of a user agent's call: it plays a WAV file (or
// silence) to the peer and records what it hears. Built in Go rather than
// from a template because its shape depends on the options.
func phoneGraph(name string, l Leg, play, record string, loop bool, rtpTimeout time.Duration, log *slog.Logger) (*pipeline.Graph, error) {
	rate, err := l.rate()
	if err != nil {
		return nil, err
	}
	key := func(k string) string {
		if k == "" {
			return ""
		}
		s := " key=" + graphs.Quote(k)
		if l.SRTPSuite != "" {
			s += " profile=" + l.SRTPSuite
		}
		return s
	}
	src := fmt.Sprintf("tone freqs=1000 level=-120 realtime=true rate=%d", rate) // silence, paced
	if play != "" {
		src = fmt.Sprintf("wav-src path=%s realtime=true loop=%v ! resample rate=%d", graphs.Quote(play), loop, rate)
	}
	remote := ""
	if l.Remote.IsValid() {
		remote = " remote=" + l.Remote.String()
	}
	evTx, evRx := l.eventPTs()
	line := fmt.Sprintf("%s ! encode codec=%s pt=%d fmtp=%s ! rtp-sink name=tx via=rx event-pt=%s%s%s", src, l.Codec, l.PT, graphs.Quote(l.Fmtp), evTx, remote, key(l.TxKey))
	sink := "null-sink"
	if record != "" {
		sink = "wav-sink name=rec path=" + graphs.Quote(record)
	}
	line += fmt.Sprintf("  rtp-src name=rx listen=%s codec=%s pt=%d event-pt=%s timeout=%s%s ! jitter name=jb ! decode name=dec ! level name=heard ! %s",
		l.Local, l.Codec, l.RecvPT, evRx, rtpTimeout, key(l.RxKey), sink)
	spec, err := graphs.ParseLine(line)
	if err != nil {
		return nil, fmt.Errorf("phone graph: %w", err)
	}
	spec.Name = name
	return pipeline.Build(spec, pipeline.WithLogger(log))
}

// runGraph starts g on the scheduler and returns when it has started.
func runGraph(ctx context.Context, g *pipeline.Graph, s *pipeline.Scheduler) error {
	if err := g.Start(ctx); err != nil {
		return err
	}
	s.Add(g)
	return nil
}
