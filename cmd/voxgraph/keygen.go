package main

import (
	"fmt"
	"io"

	"github.com/voxgraph/voxgraph/elements/rtp"
)

func cmdKeygen(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("keygen", "[--profile PROFILE]",
		"Prints a fresh random SRTP master key and salt in SDES form (inline:BASE64, RFC 4568),\n"+
			"for the key property of srtp-src, srtp-sink, rtp-src, rtp-sink and rtcp:\n"+
			"  voxgraph run std:send-file --set in=a.wav --set key=$(voxgraph keygen)", stderr)
	profile := fs.String("profile", "AES_CM_128_HMAC_SHA1_80", "SRTP protection profile the key is for")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintln(stderr, "voxgraph keygen: takes no arguments")
		return exitUsage
	}
	if _, err := rtp.KeySaltLen(*profile); err != nil {
		fmt.Fprintln(stderr, "voxgraph keygen:", err)
		return exitUsage
	}
	key, err := rtp.NewKey(*profile)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph keygen:", err)
		return exitError
	}
	fmt.Fprintln(stdout, key)
	return exitOK
}
