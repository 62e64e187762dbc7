// Package quality rates the speech transmission quality of a call with the
// E-model of ITU-T G.107 (06/2015): a transmission rating R from 0 (worst)
// to 100, on the narrowband scale, and the conversational MOS-CQE derived
// from it (G.107 Annex B).
//
// # Model
//
//	R = Ro − Is − Id − Ie,eff + A
//
// Ro is the basic signal-to-noise ratio (circuit, room and receive noise,
// §7.2); Is the impairments simultaneous with speech: loudness
// (Iolr), non-optimum sidetone (Ist) and quantizing distortion (Iq); Id the
// delay impairments: talker echo (Idte, with the STMR < 9 dB and > 20 dB
// corrections), listener echo (Idle) and absolute delay (Idd, zero up to
// mT = 100 ms, then 25·{(1+X⁶)^⅙ − 3(1+(X/3)⁶)^⅙ + 2}, X = log₂(Ta/100));
// Ie,eff the codec and packet loss:
//
//	Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl/BurstR + Bpl)
//
// and A the advantage factor. MOS = 1 + 0.035 R + R(R − 60)(100 − R)·7·10⁻⁶
// between R = 0 and 100, 1 below, 4.5 above, and held at 1 where the cubic
// dips under it (R < 6.5).
//
// # Inputs and defaults
//
// Params carries every input of G.107 Table 3; Defaults returns the
// table's defaults (SLR 8, RLR 2, STMR 15, LSTR 18, Ds = Dr = 3, TELR 65,
// WEPL 110, T = Tr = Ta = 0, qdu 1, Ie 0, Bpl 4.3, Ppl 0, BurstR 1,
// Nc −70, Nfor −64, Ps = Pr = 35, A 0, mT 100, sT 1), which rate
// R = 93.2, MOS 4.41. Call fills in what a VoIP receiver measures: the
// codec (Ie, Bpl, look-ahead), the loss percentage Ppl and burst ratio
// BurstR, and the mouth-to-ear delay
//
//	Ta = one-way network delay (RTT/2 when only RTCP's round trip is known)
//	   + jitter-buffer delay (the buffer's own, or 3·jitter + ptime)
//	   + packet time + codec look-ahead
//
// with the echo paths of a 4-wire connection whose echo is controlled to
// TELR = 65 dB: T = Ta, Tr = 2·Ta. LossEstimator keeps Ppl and BurstR from
// per-packet or per-run observations with a two-state Markov model
// (BurstR = 1/(p+q)).
//
// # Codecs
//
// Values of ITU-T G.113 Appendix I for the codecs of codecs/ and plugins/:
//
//	codec      Ie   Bpl (PLC)  Bpl (silence)  look-ahead  source
//	PCMU/PCMA   0   25.1       4.3            0           G.113 App. I Tables I.1, I.3
//	G729       11   19.0       4.3*           5 ms        G.113 App. I (G.729A+VAD); G.729
//	G722        0*  25.1*      4.3*           1.44 ms     wideband: Ie,wb = 13 in G.113 App. IV
//	opus        0*  25.1*      4.3*           6.5 ms      no ITU-T value; RFC 6716 delay
//	L16         0   25.1*      4.3*           0           not coded
//
// Starred values are not published for that codec: G.711's value of the
// same concealment stands in. G.722 and Opus are wideband or better, which
// the narrowband scale cannot credit, so they are rated like G.711 (Ie 0)
// — our choice, stated in Codec.Source; the wideband E-model (G.107.1,
// R up to 129) is not implemented.
//
// # Not modelled
//
// Echo is not measured: TELR stays at its default 65 dB (echo cancelled),
// WEPL at 110 dB, and sidetone (STMR, LSTR), loudness ratings, room and
// circuit noise at their defaults: the handsets of a VoIP call are not
// known to the network. The advantage factor A is 0 (wired VoIP; G.107
// allows up to 5 for mobility, 10 and 20 for hard-to-reach places).
// Jitter enters only through the buffer's delay and the packets it
// discards; the loss rate and burstiness are whole-call figures (no
// recency weighting, no separate gap/burst states as in RFC 3611), and
// delay is the current one, not a call average. Transcoding tandems (Ie of
// two codecs added) are left to the caller.
//
// # Accuracy
//
// The model is a closed formula; the tests check it against G.107's and
// G.113's published figures: defaults give R = 93.2 and MOS 4.41; G.729
// at no loss R = 82.2; Ie,eff of G.711 at 1, 2 and 5 % random loss
// (17.92, 30.16, 51.08 without PLC; 3.64, 7.01, 15.78 with); Idd at
// Ta = 150, 300, 400 ms (0.16, 14.76, 24.07); MOS at R = 50, 60, 80,
// 93.2 (2.58, 3.10, 4.02, 4.41); LossEstimator recovers Ppl = 3.85 % and
// BurstR = 3.85 of a Gilbert chain (p = 0.01, q = 0.25) within 0.3 and
// 0.2, and BurstR = 1 for Bernoulli loss within 0.03 — go test
// ./dsp/quality. FuzzRate checks that any input is either refused
// (ErrInput) or rated finite, MOS in [1, 4.5].
//
// On the 2-core test machine (go test -bench . -benchmem ./dsp/quality):
// Rate 0.9–1.1 µs, Call.Rate 1.0–2.2 µs, LossEstimator.Observe 1.1–1.7
// ns (spread over runs on a shared machine), all with 0 allocs/op.
package quality
