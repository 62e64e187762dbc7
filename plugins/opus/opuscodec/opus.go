// Package opuscodec is the Opus codec (RFC 6716, RTP payload RFC 7587) for
// voxgraph, a thin cgo binding of the system's libopus (pkg-config opus).
// It is meant to run in a plugin process (cmd/voxgraph-codec-opus), so
// that the C library stays out of the core, which is pure Go; nothing here
// registers itself anywhere.
//
// [Factory] describes the codec as "opus", dynamic payload type 111, RTP
// clock and sample rate 48000. PCM is 48 kHz interleaved int16, mono unless
// the parameters ask for stereo (see [Factory] for the parameters).
//
// An [Encoder] takes one Opus frame per call: 2.5, 5, 10, 20, 40, 60, 80,
// 100 or 120 ms of PCM, anything else is refused with an error wrapping
// codecs.ErrBadInput. A [Decoder] decodes one RTP payload per call; a
// zero-length payload means the packet was lost: the decoder runs libopus's
// packet loss concealment (opus_decode with no data) for one packet time,
// 20 ms unless the "ptime" parameter says otherwise, so that a lost packet
// still yields a frame of the usual length. In-band FEC (the redundancy an
// encoder with useinbandfec=1 sends) is not used for concealment, as that
// needs the packet after the lost one, which a Decode call does not have.
//
// Encoders and decoders preallocate their libopus state and never allocate
// per call; they are not safe for concurrent use. Close frees the C state
// at once; an encoder or decoder that is dropped without Close frees it
// when the garbage collector collects it.
package opuscodec

/*
#cgo pkg-config: opus
#include <opus.h>

// opus_encoder_ctl is variadic, which cgo cannot call: one wrapper per
// request used.
static int vg_set_bitrate(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_BITRATE(v)); }
static int vg_set_complexity(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_COMPLEXITY(v)); }
static int vg_set_inband_fec(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_INBAND_FEC(v)); }
static int vg_set_packet_loss_perc(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_PACKET_LOSS_PERC(v)); }
static int vg_set_dtx(OpusEncoder *st, opus_int32 v) { return opus_encoder_ctl(st, OPUS_SET_DTX(v)); }
static int vg_get_lookahead(OpusEncoder *st, opus_int32 *v) { return opus_encoder_ctl(st, OPUS_GET_LOOKAHEAD(v)); }
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"github.com/voxgraph/voxgraph/codecs"
)

// Registration data (RFC 7587 §7).
const (
	// Name is the RTP encoding name.
	Name = "opus"
	// PayloadType is the default dynamic RTP payload type.
	PayloadType = 111
	// ClockRate is the RTP clock rate, always 48000 whatever the audio
	// bandwidth.
	ClockRate = 48000
	// SampleRate is the PCM sample rate encoders take and decoders give.
	SampleRate = 48000
)

// Limits of the parameters (RFC 7587 §6.1 and libopus).
const (
	MinBitrate = 6000   // lowest "maxaveragebitrate"/"bitrate", bit/s
	MaxBitrate = 510000 // highest "maxaveragebitrate"/"bitrate", bit/s
)

// fecLossPercent is the packet loss an encoder with useinbandfec=1 is told
// to expect: libopus only spends bits on in-band FEC when this is above 0.
const fecLossPercent = 10

// maxFrameSamples is the longest Opus packet, 120 ms, per channel.
const maxFrameSamples = SampleRate * 120 / 1000

// maxFrameBytes is the largest Opus frame (RFC 6716 §3.2.1); a packet of
// several frames adds a few bytes of framing (packetOverhead).
const (
	maxFrameBytes  = 1275
	packetOverhead = 7
)

// ErrClosed is returned by an encoder or decoder used after Close.
var ErrClosed = errors.New("opus: encoder or decoder is closed")

// Version returns libopus's version string, e.g. "libopus 1.3.1".
func Version() string { return C.GoString(C.opus_get_version_string()) }

// Codec returns the Opus codec description: "opus", payload type 111
// (dynamic), clock and sample rate 48000, one PCM channel (the default; a
// stream's channels come from its parameters), written "opus/48000/2" in
// SDP as RFC 7587 §7 requires.
func Codec() codecs.Codec {
	return codecs.Codec{Name: Name, PayloadType: PayloadType, Dynamic: true,
		ClockRate: ClockRate, SampleRate: SampleRate, Channels: 1, SDPChannels: 2}
}

// Factory returns the Opus factory. Its constructors take these
// parameters, as in SDP fmtp (others are ignored):
//
//   - "stereo" (0|1) or "channels" (1|2): PCM channels, default 1 (mono).
//     RFC 7587's SDP always says opus/48000/2; "stereo" decides.
//   - "maxaveragebitrate" or "bitrate": the encoder's target bit rate,
//     6000-510000 bit/s; default libopus's own choice for the channels and
//     frame size.
//   - "complexity" (0-10): the encoder's complexity, default libopus's.
//   - "useinbandfec" (0|1): the encoder adds in-band FEC, and is told to
//     expect 10 % loss so that it does; default 0.
//   - "usedtx" (0|1): discontinuous transmission in silence, default 0.
//   - "ptime" (ms): the packet time, 10, 20, 40, 60, 80, 100 or 120; the
//     decoder conceals a lost packet with this much audio. Default 20.
//
// Encoder settings are accepted by the decoder too (one SDP fmtp line
// serves both) but only "stereo"/"channels" and "ptime" affect it.
// Invalid values give an error wrapping codecs.ErrBadParams.
func Factory() codecs.Factory { return codecs.Typed(Codec(), NewEncoder, NewDecoder) }

// NewEncoder returns an encoder for the parameters (see [Factory]).
func NewEncoder(p codecs.Params) (*Encoder, error) {
	cfg, err := parseParams(p)
	if err != nil {
		return nil, err
	}
	return newEncoder(cfg)
}

// NewDecoder returns a decoder for the parameters (see [Factory]).
func NewDecoder(p codecs.Params) (*Decoder, error) {
	cfg, err := parseParams(p)
	if err != nil {
		return nil, err
	}
	return newDecoder(cfg)
}

// config is what the parameters say.
type config struct {
	channels   int
	bitrate    int // 0: libopus's default
	complexity int // -1: libopus's default
	fec, dtx   bool
	ptimeMS    int
}

// parseParams validates the parameters.
func parseParams(p codecs.Params) (config, error) {
	cfg := config{channels: 1, complexity: -1, ptimeMS: 20}
	intParam := func(key string) (int, bool, error) {
		s, ok := p[key]
		if !ok {
			return 0, false, nil
		}
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return 0, false, fmt.Errorf("opus: %s=%q is not an integer: %w", key, s, codecs.ErrBadParams)
		}
		return v, true, nil
	}
	boolParam := func(key string) (bool, bool, error) {
		v, ok, err := intParam(key)
		if err != nil || !ok {
			return false, ok, err
		}
		if v != 0 && v != 1 {
			return false, false, fmt.Errorf("opus: %s=%d, want 0 or 1: %w", key, v, codecs.ErrBadParams)
		}
		return v == 1, true, nil
	}

	stereo, hasStereo, err := boolParam("stereo")
	if err != nil {
		return cfg, err
	}
	if stereo {
		cfg.channels = 2
	}
	ch, hasCh, err := intParam("channels")
	if err != nil {
		return cfg, err
	}
	if hasCh {
		if ch != 1 && ch != 2 {
			return cfg, fmt.Errorf("opus: channels=%d, want 1 or 2: %w", ch, codecs.ErrBadParams)
		}
		if hasStereo && ch != cfg.channels {
			return cfg, fmt.Errorf("opus: channels=%d contradicts stereo=%s: %w", ch, p["stereo"], codecs.ErrBadParams)
		}
		cfg.channels = ch
	}

	for _, key := range []string{"maxaveragebitrate", "bitrate"} {
		v, ok, err := intParam(key)
		if err != nil {
			return cfg, err
		}
		if !ok {
			continue
		}
		if v < MinBitrate || v > MaxBitrate {
			return cfg, fmt.Errorf("opus: %s=%d, want %d-%d: %w", key, v, MinBitrate, MaxBitrate, codecs.ErrBadParams)
		}
		if cfg.bitrate != 0 && v != cfg.bitrate {
			return cfg, fmt.Errorf("opus: bitrate=%d contradicts maxaveragebitrate=%d: %w", v, cfg.bitrate, codecs.ErrBadParams)
		}
		cfg.bitrate = v
	}

	if v, ok, err := intParam("complexity"); err != nil {
		return cfg, err
	} else if ok {
		if v < 0 || v > 10 {
			return cfg, fmt.Errorf("opus: complexity=%d, want 0-10: %w", v, codecs.ErrBadParams)
		}
		cfg.complexity = v
	}
	if cfg.fec, _, err = boolParam("useinbandfec"); err != nil {
		return cfg, err
	}
	if cfg.dtx, _, err = boolParam("usedtx"); err != nil {
		return cfg, err
	}
	if v, ok, err := intParam("ptime"); err != nil {
		return cfg, err
	} else if ok {
		if !validFrame(v * SampleRate / 1000) {
			return cfg, fmt.Errorf("opus: ptime=%d ms, want 10, 20, 40, 60, 80, 100 or 120: %w", v, codecs.ErrBadParams)
		}
		cfg.ptimeMS = v
	}
	return cfg, nil
}

// validFrame reports whether n samples per channel at 48 kHz are an Opus
// frame size libopus encodes: 2.5, 5, 10, 20, 40, 60, 80, 100 or 120 ms.
func validFrame(n int) bool {
	switch n {
	case 120, 240, 480, 960, 1920, 2880, 3840, 4800, 5760:
		return true
	}
	return false
}

// opusError renders a libopus error code.
func opusError(code C.int) string {
	return C.GoString(C.opus_strerror(code))
}

// Encoder is an Opus encoder (libopus, application VOIP).
type Encoder struct {
	st       *C.OpusEncoder
	channels int
	cleanup  runtime.Cleanup
}

func newEncoder(cfg config) (*Encoder, error) {
	var cerr C.int
	st := C.opus_encoder_create(C.opus_int32(SampleRate), C.int(cfg.channels), C.OPUS_APPLICATION_VOIP, &cerr)
	if cerr != C.OPUS_OK || st == nil {
		return nil, fmt.Errorf("opus: opus_encoder_create: %s", opusError(cerr))
	}
	e := &Encoder{st: st, channels: cfg.channels}
	e.cleanup = runtime.AddCleanup(e, func(st *C.OpusEncoder) { C.opus_encoder_destroy(st) }, st)
	set := func(what string, rc C.int) error {
		if rc != C.OPUS_OK {
			return fmt.Errorf("opus: set %s: %s", what, opusError(rc))
		}
		return nil
	}
	var errs []error
	if cfg.bitrate != 0 {
		errs = append(errs, set("bitrate", C.vg_set_bitrate(st, C.opus_int32(cfg.bitrate))))
	}
	if cfg.complexity >= 0 {
		errs = append(errs, set("complexity", C.vg_set_complexity(st, C.opus_int32(cfg.complexity))))
	}
	if cfg.fec {
		errs = append(errs, set("inband FEC", C.vg_set_inband_fec(st, 1)),
			set("packet loss", C.vg_set_packet_loss_perc(st, fecLossPercent)))
	}
	if cfg.dtx {
		errs = append(errs, set("DTX", C.vg_set_dtx(st, 1)))
	}
	if err := errors.Join(errs...); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Channels returns the encoder's PCM channels.
func (e *Encoder) Channels() int { return e.channels }

// Lookahead returns the encoder's look-ahead in samples per channel (at
// 48 kHz), the delay it adds to the round trip besides the decoder's.
func (e *Encoder) Lookahead() int {
	if e.st == nil {
		return 0
	}
	var v C.opus_int32
	C.vg_get_lookahead(e.st, &v)
	runtime.KeepAlive(e)
	return int(v)
}

// Encode encodes one frame of interleaved PCM into dst as one Opus packet
// and returns its length. The frame must be a valid Opus frame size (see
// the package documentation), else the error wraps codecs.ErrBadInput; dst
// must hold MaxEncodedLen(len(pcm)) bytes, else the error wraps
// codecs.ErrShortBuffer. With usedtx=1 packets of 1 or 2 bytes mark
// silence, which a sender need not transmit.
func (e *Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if e.st == nil {
		return 0, ErrClosed
	}
	if len(pcm)%e.channels != 0 || !validFrame(len(pcm)/e.channels) {
		return 0, fmt.Errorf("opus: %d samples of %d channel(s) is not an Opus frame (2.5-120 ms at 48 kHz): %w",
			len(pcm), e.channels, codecs.ErrBadInput)
	}
	if need := e.MaxEncodedLen(len(pcm)); len(dst) < need {
		return 0, fmt.Errorf("opus: encode into %d bytes, need %d: %w", len(dst), need, codecs.ErrShortBuffer)
	}
	n := C.opus_encode(e.st, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)/e.channels),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.opus_int32(min(len(dst), 1<<20)))
	runtime.KeepAlive(e)
	if n < 0 {
		return 0, fmt.Errorf("opus: opus_encode: %s", opusError(n))
	}
	return int(n), nil
}

// MaxEncodedLen is the largest packet Encode produces for a frame of the
// given number of interleaved samples: 1275 bytes (Opus's largest frame)
// for every 20 ms or part of it, and a few bytes of framing.
func (e *Encoder) MaxEncodedLen(samples int) int {
	perChannel := samples / max(e.channels, 1)
	frames := max(1, (perChannel+SampleRate/50-1)/(SampleRate/50))
	return frames*maxFrameBytes + packetOverhead
}

// Close frees the libopus state. It is idempotent; Encode after Close
// returns ErrClosed.
func (e *Encoder) Close() error {
	if e.st != nil {
		e.cleanup.Stop()
		C.opus_encoder_destroy(e.st)
		e.st = nil
	}
	return nil
}

// Decoder is an Opus decoder (libopus).
type Decoder struct {
	st         *C.OpusDecoder
	channels   int
	plcSamples int // per channel: one packet time of concealment
	cleanup    runtime.Cleanup
}

func newDecoder(cfg config) (*Decoder, error) {
	var cerr C.int
	st := C.opus_decoder_create(C.opus_int32(SampleRate), C.int(cfg.channels), &cerr)
	if cerr != C.OPUS_OK || st == nil {
		return nil, fmt.Errorf("opus: opus_decoder_create: %s", opusError(cerr))
	}
	d := &Decoder{st: st, channels: cfg.channels, plcSamples: cfg.ptimeMS * SampleRate / 1000}
	d.cleanup = runtime.AddCleanup(d, func(st *C.OpusDecoder) { C.opus_decoder_destroy(st) }, st)
	return d, nil
}

// Channels returns the decoder's PCM channels.
func (d *Decoder) Channels() int { return d.channels }

// Decode decodes one Opus packet into dst and returns the number of
// interleaved samples written. A zero-length payload is a lost packet:
// libopus conceals it with one packet time of audio (20 ms, 960 samples
// per channel, unless "ptime" said otherwise). A payload libopus rejects
// gives an error wrapping codecs.ErrBadPayload; a dst too small for the
// packet one wrapping codecs.ErrShortBuffer.
func (d *Decoder) Decode(dst []int16, payload []byte) (int, error) {
	if d.st == nil {
		return 0, ErrClosed
	}
	if len(payload) == 0 {
		if need := d.plcSamples * d.channels; len(dst) < need {
			return 0, fmt.Errorf("opus: conceal %d samples into %d: %w", need, len(dst), codecs.ErrShortBuffer)
		}
		n := C.opus_decode(d.st, nil, 0, (*C.opus_int16)(unsafe.Pointer(&dst[0])), C.int(d.plcSamples), 0)
		runtime.KeepAlive(d)
		if n < 0 {
			return 0, fmt.Errorf("opus: concealment: %s", opusError(n))
		}
		return int(n) * d.channels, nil
	}
	if len(payload) > 1<<20 {
		return 0, fmt.Errorf("opus: payload of %d bytes: %w", len(payload), codecs.ErrBadPayload)
	}
	data := (*C.uchar)(unsafe.Pointer(&payload[0]))
	ns := C.opus_decoder_get_nb_samples(d.st, data, C.opus_int32(len(payload)))
	if ns < 0 {
		runtime.KeepAlive(d)
		return 0, fmt.Errorf("opus: payload of %d bytes: %s: %w", len(payload), opusError(ns), codecs.ErrBadPayload)
	}
	if ns > maxFrameSamples {
		runtime.KeepAlive(d)
		return 0, fmt.Errorf("opus: packet of %d samples, longer than 120 ms: %w", ns, codecs.ErrBadPayload)
	}
	if need := int(ns) * d.channels; len(dst) < need {
		runtime.KeepAlive(d)
		return 0, fmt.Errorf("opus: decode %d samples into %d: %w", need, len(dst), codecs.ErrShortBuffer)
	}
	n := C.opus_decode(d.st, data, C.opus_int32(len(payload)), (*C.opus_int16)(unsafe.Pointer(&dst[0])), ns, 0)
	runtime.KeepAlive(d)
	if n < 0 {
		return 0, fmt.Errorf("opus: payload of %d bytes: %s: %w", len(payload), opusError(n), codecs.ErrBadPayload)
	}
	return int(n) * d.channels, nil
}

// MaxDecodedLen is the most interleaved samples Decode writes for a payload
// of payloadLen bytes: 120 ms (the longest Opus packet), or one packet time
// of concealment for a zero-length payload.
func (d *Decoder) MaxDecodedLen(payloadLen int) int {
	if payloadLen == 0 {
		return d.plcSamples * d.channels
	}
	return maxFrameSamples * d.channels
}

// Close frees the libopus state. It is idempotent; Decode after Close
// returns ErrClosed.
func (d *Decoder) Close() error {
	if d.st != nil {
		d.cleanup.Stop()
		C.opus_decoder_destroy(d.st)
		d.st = nil
	}
	return nil
}
