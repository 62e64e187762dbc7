package sip

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// validate checks what the SIP parser lets through but RFC 3261 §8.2 says a
// UAS must refuse. It returns 0 for a request fit to process, else the status
// and reason to answer with.
func validate(req *sip.Request) (int, string) {
	if req.SipVersion != "SIP/2.0" {
		return sip.StatusVersionNotSupported, "Version Not Supported"
	}
	switch req.Recipient.Scheme {
	case "sip", "sips":
	default:
		return 416, "Unsupported URI Scheme"
	}
	if req.Recipient.Host == "" {
		return sip.StatusBadRequest, "Bad Request-URI"
	}
	cseq := req.CSeq()
	if cseq == nil || !strings.EqualFold(string(cseq.MethodName), string(req.Method)) && req.Method != sip.ACK && req.Method != sip.CANCEL {
		return sip.StatusBadRequest, "Bad CSeq"
	}
	if req.CallID() == nil || req.CallID().Value() == "" {
		return sip.StatusBadRequest, "Missing Call-ID"
	}
	if req.From() == nil || req.To() == nil {
		return sip.StatusBadRequest, "Missing From or To"
	}
	if req.Via() == nil {
		return sip.StatusBadRequest, "Missing Via"
	}
	return 0, ""
}
