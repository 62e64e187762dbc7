// Package sdp is the SDP layer of the B2BUA: it parses session descriptions
// (RFC 4566), builds offers and answers for one audio stream (RFC 3264), and
// negotiates SDES-keyed SRTP (RFC 4568) and telephone-events (RFC 4733).
// Text is parsed and written by github.com/pion/sdp/v3; this package turns it
// into the few facts a call needs: [Session], [Media] and, once offer and
// answer are known, [Negotiated].
//
// Codecs come from a [codecs.Registry] ([codecs.Default] unless the params
// name another), so a codec registered by a plugin is offered and accepted
// like a built-in one.
//
// # Flow
//
// The answerer (an incoming INVITE with SDP):
//
//	offer, err := sdp.Parse(body)          // ErrBadSDP → 400
//	ans, neg, err := sdp.Answer(offer, p)  // ErrNoCommonCodec, ErrSRTPRequired, … → 488
//
// The offerer (an outgoing INVITE):
//
//	body, err := sdp.BuildOffer(p)
//	… send it, receive the answer …
//	offer, _ := sdp.Parse(body)            // our own offer, as a Session
//	answer, err := sdp.Parse(answerBody)
//	neg, err := sdp.ApplyAnswer(offer, answer)
//
// Hold and resume are re-offers ([OfferParams.Reoffer]) with direction
// sendonly (or inactive) and then sendrecv again; the o= version increments
// each time. [Session.IsHold] tells an answerer that the peer holds the call.
//
// # Policies
//
//   - Codec choice (answerer): the first codec of OUR preference list
//     ([AnswerParams.Codecs]) that the offer also has, unless
//     [AnswerParams.PreferOfferOrder] asks for the first codec of the offer
//     that we support. The answer carries exactly that one codec, with the
//     offerer's payload type, plus telephone-event when both sides want it
//     and the offer has it at the codec's clock rate (RFC 4733 §2.1), again
//     with the offerer's payload type. Codecs match on encoding name (case
//     insensitive), clock rate and channels; fmtp is not compared.
//   - Streams: the answer has as many m-lines as the offer, in the same order.
//     The first usable audio stream (m=audio, port ≠ 0, RTP/AVP or RTP/SAVP)
//     is answered; every other stream (video, T.38, a second audio stream,
//     unknown transports) is rejected with port 0.
//   - Direction: the answer's direction is the offer's mirrored (sendonly →
//     recvonly, recvonly → sendonly, inactive → inactive) and intersected with
//     what we want ([AnswerParams.Direction]).
//   - Old-style hold (RFC 2543, RFC 3264 §8.4): c=0.0.0.0 (or c=IN IP6 ::)
//     means "do not send to me". Parse removes the receive half from the
//     stream's direction, so sendrecv becomes sendonly and recvonly becomes
//     inactive, and sets [Media.NullAddr]. The answer is then recvonly (or
//     inactive) and we never send to 0.0.0.0.
//   - ptime: a=ptime is what the sender of the SDP wants to receive, so
//     [Negotiated.PTime] (the packetisation we send) is the peer's a=ptime,
//     else ours, else 20 ms. A ptime outside 1–300 ms is ignored.
//   - SRTP ([SRTPPolicy]): SRTPOff offers plain RTP and refuses RTP/SAVP
//     offers; SRTPOptional offers RTP/AVP with a=crypto (best-effort SRTP, as
//     Asterisk and FreeSWITCH do) and answers with SRTP whenever the offer
//     has a usable crypto line; SRTPRequired offers RTP/SAVP and refuses
//     offers without crypto. The answerer picks the crypto line whose suite
//     comes first in OUR suite preference ([AnswerParams.Suites], strongest
//     first by default) and answers with one line: the offer's tag and suite
//     and our own key. A crypto line is usable when its suite is one we
//     accept, its key is a single "inline:" key of the right length (a
//     lifetime is accepted, an MKI is not) and it has no session parameters
//     other than WSH.
//
// # Errors
//
// Errors wrap a sentinel that callers branch on with errors.Is:
// [ErrBadSDP] (malformed SDP, SIP 400), [ErrNoAudio], [ErrNoCommonCodec],
// [ErrSRTPRequired] and [ErrNoCommonCrypto] (SIP 488 Not Acceptable Here),
// [ErrBadAnswer] and [ErrRejected] (the offerer's side: the answer is
// unusable or refused our audio; send BYE or ACK-and-BYE), and [ErrBadParams]
// (our own configuration is wrong).
//
// Parse never panics, whatever the input (it is fuzzed); inputs larger than
// [MaxSize] are refused. Crypto keys never appear in String output.
package sdp
