package plugintest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/internal/codectest"
	"github.com/voxgraph/voxgraph/internal/graphtest"
)

// RunCLI builds the voxgraph command and the plugin at mainDir (as binary,
// a voxgraph-codec-* name, in a plugin directory of its own) and runs
// `voxgraph run --plugins DIR graph` in workDir. While it runs, the
// process table is watched for the plugin: a child of voxgraph whose
// executable is the plugin binary, as `ps` would show it. RunCLI fails the
// test when voxgraph fails and returns its output and the plugin's pid (0
// when no such process was seen).
func RunCLI(t testing.TB, mainDir, binary, workDir, graph string) (output string, pluginPid int) {
	t.Helper()
	voxgraph, pluginDir := Build(t, mainDir, binary)
	var out bytes.Buffer
	cmd := exec.Command(voxgraph, "run", "--plugins", pluginDir, graph)
	cmd.Dir, cmd.Stdout, cmd.Stderr = workDir, &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	want := filepath.Join(pluginDir, binary)
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("voxgraph run: %v\n%s", err, out.String())
			}
			return out.String(), pluginPid
		case <-poll.C:
			if pluginPid == 0 {
				pluginPid = ChildRunning(cmd.Process.Pid, want)
			}
		}
	}
}

// Build builds the voxgraph command and the plugin at mainDir (as binary,
// a voxgraph-codec-* name) into a temporary directory, and returns the
// command's path and the plugin directory.
func Build(t testing.TB, mainDir, binary string) (voxgraph, pluginDir string) {
	t.Helper()
	bin := t.TempDir()
	pluginDir = filepath.Join(bin, "plugins")
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/voxgraph/voxgraph").Output()
	if err != nil {
		t.Fatalf("locating the voxgraph module: %v", err)
	}
	voxgraph = filepath.Join(bin, "voxgraph")
	build(t, strings.TrimSpace(string(root)), "./cmd/voxgraph", voxgraph)
	build(t, ".", mainDir, filepath.Join(pluginDir, binary))
	return voxgraph, pluginDir
}

// ChildRunning returns the pid of a child of parent running exe, or 0.
func ChildRunning(parent int, exe string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(pid); len(f) < 2 || f[1] != strconv.Itoa(parent) {
			continue
		}
		if path, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && path == exe {
			return pid
		}
	}
	return 0
}

// RunFile is the acceptance command of a codec plugin: it writes 3 s of
// codectest.SpeechLike at rate Hz to a WAV file and runs
//
//	voxgraph run --plugins DIR "wav-src path=in.wav ! encode codec=CODEC ! decode ! wav-sink path=o.wav"
//
// with the plugin at mainDir (see RunCLI). It fails the test unless the
// plugin's process was seen and the file ran to its end, and returns the
// input and the output with its rate and channels.
func RunFile(t testing.TB, mainDir, binary, codec string, rate int) (in, out []int16, outRate, outChannels int) {
	t.Helper()
	dir := t.TempDir()
	in = codectest.SpeechLike(3*rate, rate, 7)
	graphtest.WriteWav(t, filepath.Join(dir, "in.wav"), rate, 1, in)
	log, pid := RunCLI(t, mainDir, binary, dir, "wav-src path=in.wav ! encode codec="+codec+" ! decode ! wav-sink path=o.wav")
	if pid == 0 {
		t.Errorf("no %s process under voxgraph while it ran; output:\n%s", binary, log)
	}
	if !strings.Contains(log, "end of stream") {
		t.Errorf("voxgraph run did not reach the end of the file:\n%s", log)
	}
	outRate, outChannels, out = graphtest.ReadWav(t, filepath.Join(dir, "o.wav"))
	t.Logf("%s ran as pid %d", binary, pid)
	return in, out, outRate, outChannels
}
