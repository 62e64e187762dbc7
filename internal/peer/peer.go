// Package peer finds the system programs that interoperability tests talk
// to (GStreamer, SIPp, ffmpeg). scripts/test.sh installs them; a test that
// needs one fails when it is missing, under CI and everywhere else, so a
// passing run always means the peer was really exercised.
package peer

import (
	"net"
	"os/exec"
	"testing"
)

// Require returns the path of program, or fails the test naming the
// Debian package that provides it.
func Require(t testing.TB, program, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		t.Fatalf("%s not found: run ./scripts/test.sh, which installs it (apt-get install %s)", program, debianPackage)
	}
	return path
}

// FreeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago,
// for a peer (or a voxgraph process) that must be told its port up front.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
