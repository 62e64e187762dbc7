// Package codecs describes RTP audio codecs and implements the built-in ones.
//
// Capabilities are data: a [Codec] says what a codec is (RTP encoding name,
// payload type, clock and sample rates, channels) without any code. A
// [Factory] pairs that description with constructors for an [Encoder] and a
// [Decoder], and a [Registry] maps names and static payload types to
// factories. [Default] holds the built-in codecs PCMU, PCMA (G.711, on
// github.com/zaf/g711) and L16 (RFC 3551 linear PCM).
//
// Encoders and decoders never allocate per call: callers own the buffers and
// size them with MaxEncodedLen and MaxDecodedLen. PCM is interleaved signed
// 16-bit samples in host order.
package codecs

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Codec describes an RTP audio codec (capabilities only).
type Codec struct {
	Name        string // canonical RTP encoding name, e.g. "PCMU"
	PayloadType uint8  // static payload type (RFC 3551), or the default dynamic one
	Dynamic     bool   // payload type is dynamic (96-127)
	ClockRate   int    // RTP clock rate in Hz
	SampleRate  int    // PCM sample rate the codec consumes/produces
	Channels    int    // interleaved channels
	Fmtp        string // default SDP fmtp parameters, "" if none
	// SDPChannels is the channel count SDP's a=rtpmap names when it is not
	// Channels: RFC 7587 has Opus always written "opus/48000/2", whether
	// the stream is mono or stereo. 0: Channels.
	SDPChannels int
}

// RTPMapChannels is the channel count of the codec's SDP a=rtpmap.
func (c Codec) RTPMapChannels() int {
	if c.SDPChannels > 0 {
		return c.SDPChannels
	}
	return c.Channels
}

// String renders the codec the way SDP rtpmap does, e.g. "PCMU/8000" or
// "L16/16000/2", followed by the payload type.
func (c Codec) String() string {
	s := c.Name + "/" + strconv.Itoa(c.ClockRate)
	if ch := c.RTPMapChannels(); ch > 1 {
		s += "/" + strconv.Itoa(ch)
	}
	return s + " pt=" + strconv.Itoa(int(c.PayloadType))
}

// Params holds codec parameters in SDP fmtp style ("rate", "channels", ...).
// A nil Params selects the codec's defaults.
type Params map[string]string

// ParseFmtp reads the parameters of an SDP a=fmtp line (after the payload
// type): "key=value" pairs separated by ';', spaces around them ignored.
// A key without a value maps to ""; keys are lower-cased (RFC 4566 fmtp
// parameter names are case-insensitive for the codecs voxgraph knows).
// It returns nil for an empty line.
func ParseFmtp(s string) Params {
	var p Params
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if p == nil {
			p = Params{}
		}
		p[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return p
}

// Fmtp renders p as an a=fmtp parameter list, keys in sorted order
// ("key=value;key"); ParseFmtp reads it back.
func (p Params) Fmtp() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(k)
		if v := p[k]; v != "" {
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}

// Encoder turns PCM into codec payload.
type Encoder interface {
	// Encode encodes the interleaved samples in pcm into dst and returns the
	// number of bytes written. It returns an error wrapping ErrShortBuffer
	// when dst is smaller than MaxEncodedLen(len(pcm)).
	Encode(dst []byte, pcm []int16) (int, error)
	// MaxEncodedLen is the largest payload Encode can produce for the given
	// number of interleaved samples.
	MaxEncodedLen(samples int) int
}

// Decoder turns codec payload into PCM.
type Decoder interface {
	// Decode decodes payload into dst and returns the number of interleaved
	// samples written. It returns an error wrapping ErrShortBuffer when dst
	// is too small and one wrapping ErrBadPayload when the payload is
	// malformed. It never panics, whatever the payload.
	Decode(dst []int16, payload []byte) (int, error)
	// MaxDecodedLen is the largest number of samples Decode can produce
	// from a payload of payloadLen bytes.
	MaxDecodedLen(payloadLen int) int
}

// Factory pairs a codec description with constructors for its encoder and
// decoder. Both constructors are required.
type Factory struct {
	Codec
	// NewEncoder returns a new encoder for the parameters (nil: defaults).
	NewEncoder func(Params) (Encoder, error)
	// NewDecoder returns a new decoder for the parameters (nil: defaults).
	NewDecoder func(Params) (Decoder, error)
}

// Sentinel errors. Errors returned by this package wrap them with context;
// test with errors.Is.
var (
	// ErrShortBuffer means the destination buffer is too small.
	ErrShortBuffer = errors.New("destination buffer too small")
	// ErrBadPayload means a payload cannot be decoded (e.g. odd-length L16).
	ErrBadPayload = errors.New("malformed payload")
	// ErrBadInput means the PCM given to an encoder is not whole frames.
	ErrBadInput = errors.New("pcm is not a whole number of frames")
	// ErrBadParams means codec parameters are invalid or unsupported.
	ErrBadParams = errors.New("invalid codec parameters")
	// ErrBadCodec means a Factory given to Register is incomplete or invalid.
	ErrBadCodec = errors.New("invalid codec factory")
	// ErrDuplicate means a codec name or static payload type is already registered.
	ErrDuplicate = errors.New("codec already registered")
)

// paramInt returns the integer parameter key from p, or def when absent.
func paramInt(p Params, key string, def int) (int, error) {
	s, ok := p[key]
	if !ok {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", key, s, ErrBadParams)
	}
	return v, nil
}

// g711Params validates the parameters of a G.711 codec: "rate", if present,
// must be 8000; "channels", if present, must be 1.
func g711Params(name string, p Params) error {
	rate, err := paramInt(p, "rate", 8000)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if rate != 8000 {
		return fmt.Errorf("%s: rate %d, only 8000 is supported: %w", name, rate, ErrBadParams)
	}
	ch, err := paramInt(p, "channels", 1)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if ch != 1 {
		return fmt.Errorf("%s: %d channels, only mono is supported: %w", name, ch, ErrBadParams)
	}
	return nil
}

// Typed makes a Factory from constructors that return concrete types. A
// constructor's error gives a nil interface, never a nil pointer inside a
// non-nil Encoder or Decoder (which a caller's err == nil check would not
// catch but a nil comparison would get wrong).
func Typed[E Encoder, D Decoder](c Codec, newEnc func(Params) (E, error), newDec func(Params) (D, error)) Factory {
	return Factory{
		Codec: c,
		NewEncoder: func(p Params) (Encoder, error) {
			e, err := newEnc(p)
			if err != nil {
				return nil, err
			}
			return e, nil
		},
		NewDecoder: func(p Params) (Decoder, error) {
			d, err := newDec(p)
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	}
}
