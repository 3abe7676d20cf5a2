package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"research/internal/tinymodel"

	"research/search/bm25"
)

// toyTrainConfig writes a run around the tiny random model and returns the
// path of its YAML config.
func toyTrainConfig(t *testing.T, steps int) (cfgPath, out string) {
	t.Helper()
	dir := t.TempDir()
	mdir := filepath.Join(dir, "model")
	if err := tinymodel.Copy(mdir, 4096); err != nil {
		t.Fatal(err)
	}
	corpus := `{"id":"1","contents":"\"A\"\nA is a city."}` + "\n"
	if _, err := bm25.Build(context.Background(), strings.NewReader(corpus), "corpus", filepath.Join(dir, "ix"), bm25.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "q.jsonl"), []byte(`{"id":"a","question":"q","golden_answers":["x"]}`+"\n"), 0o644)
	out = filepath.Join(dir, "run")
	cfg := strings.Join([]string{
		"model: " + mdir,
		"template: base",
		"data: {train: [" + filepath.Join(dir, "q.jsonl") + "]}",
		"retriever: {index: " + filepath.Join(dir, "ix") + "}",
		"rollout: {n: 2, max_response_tokens: 8}",
		"train: {steps: " + itoaTest(steps) + ", batch_size: 1, save_every: 1, val_every: 0, out: " + out + "}",
	}, "\n")
	cfgPath = filepath.Join(dir, "train.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)
	return cfgPath, out
}

func itoaTest(n int) string { b, _ := json.Marshal(n); return string(b) }

func countTrainLines(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: corrupt line %q", path, sc.Text())
		}
		if m["phase"] == "train" {
			n++
		}
	}
	return n
}

// TestTrainKillAndResume kills `research train` with SIGKILL once a
// checkpoint exists, then resumes: the run completes and nothing is corrupt.
func TestTrainKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and trains: skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "research")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cfg, out := toyTrainConfig(t, 6)
	cmd := exec.Command(bin, "train", "--config", cfg)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(out, "checkpoints", "step-000002", "run_state.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint after 2 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	if b, err := exec.Command(bin, "train", "--config", cfg).CombinedOutput(); err == nil || !strings.Contains(string(b), "--resume") {
		t.Errorf("a second run into the same directory without --resume: %v %s", err, b)
	}
	if b, err := exec.Command(bin, "train", "--config", cfg, "--resume").CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, b)
	}
	if _, err := os.Stat(filepath.Join(out, "checkpoints", "step-000006", "run_state.json")); err != nil {
		t.Errorf("no final checkpoint: %v", err)
	}
	if n := countTrainLines(t, filepath.Join(out, "metrics.jsonl")); n != 6 {
		t.Errorf("%d train metric lines after resume, want 6", n)
	}
}

// TestTrainSignalSaves: SIGTERM or SIGINT ends a run with a checkpoint of
// the last finished step and the status of an interrupted program (128 +
// the signal), so that a scheduler does not read it as finished.
func TestTrainSignalSaves(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and trains: skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "research")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{
		{syscall.SIGTERM, 143},
		{syscall.SIGINT, 130},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			cfg, out := toyTrainConfig(t, 1000)
			cmd := exec.Command(bin, "train", "--config", cfg, "--set", "train.save_every=0")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(2 * time.Minute)
			for countLines(filepath.Join(out, "metrics.jsonl")) < 2 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("no steps after 2 minutes")
				}
				time.Sleep(50 * time.Millisecond)
			}
			cmd.Process.Signal(tc.sig)
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("exit status %d after %v, want %d\n%s", code, tc.sig, tc.code, stderr.String())
			}
			entries, _ := os.ReadDir(filepath.Join(out, "checkpoints"))
			if len(entries) != 1 || !strings.Contains(stderr.String(), "continue with --resume") {
				t.Errorf("checkpoints %v; stderr:\n%s", entries, stderr.String())
			}
		})
	}
}

// TestTrainFailedResumeCreatesNothing: --resume without a run to resume
// fails before it creates the output folder.
func TestTrainFailedResumeCreatesNothing(t *testing.T) {
	cfg, out := toyTrainConfig(t, 2)
	_, _, err := runCLI(t, "", "train", "--config", cfg, "--resume")
	if err == nil || !strings.Contains(err.Error(), "no complete checkpoint") {
		t.Fatalf("error %v, want no complete checkpoint", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after a failed --resume (%v)", out, err)
	}
}

func countLines(path string) int {
	data, _ := os.ReadFile(path)
	return strings.Count(string(data), "\n")
}
