// Package peer finds the system programs that interoperability tests talk
// to (GStreamer, SIPp, ffmpeg). scripts/test.sh installs them; a test that
// needs one fails when it is missing, under CI and everywhere else, so a
// passing run always means the peer was really exercised.
package peer

import (
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
