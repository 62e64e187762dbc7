// Package rtp holds the network media elements: rtp-src and rtp-sink carry
// RTP over UDP (pion/rtp headers), srtp-src and srtp-sink add SRTP
// (pion/srtp/v2) with keys in SDES form (RFC 4568 "inline:" base64 of key
// and salt) so that SIP can pass a=crypto keys straight through.
//
// Receivers read their socket on a goroutine of their own and hand each
// packet to the graph through the Injector, reusing pooled frames: no
// allocation per packet. Malformed packets, wrong RTP versions, unexpected
// payload types and SSRCs, and (for SRTP) authentication failures and
// replays are counted in the element's stats and dropped, never passed on.
package rtp
