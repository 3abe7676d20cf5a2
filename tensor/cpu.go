package tensor

import (
	"fmt"
	"os"
)

// A kernel set is one family of implementations of every kernel: the
// portable Go ones, the AVX2/FMA assembly, or the AVX-512 assembly (which
// falls back to AVX2 for kernels that have no wider form). Sets are ordered:
// each machine that runs a set also runs every set below it.
const (
	setGo = iota
	setAVX2
	setAVX512
)

var setNames = [...]string{setGo: "go", setAVX2: "avx2", setAVX512: "avx512"}

// KernelsEnv names the environment variable that narrows the kernel set
// chosen at start-up: "go", "avx2" or "avx512". A set the CPU lacks, or an
// unknown name, leaves the widest set the CPU has no wider than the one named
// (an unknown name: the widest); Kernels reports what runs.
const KernelsEnv = "RESEARCH_KERNELS"

// bestSet is the widest set the CPU supports (see cpu_amd64.go).
var bestSet = detectSet()

// useAsm selects the AVX2/FMA kernels (true for the AVX-512 set too, whose
// missing kernels are the AVX2 ones); useAVX512 selects the AVX-512 ones.
// Both are set at start-up and by SetKernels; tests flip them to check that
// every set agrees with the portable Go kernels.
var useAsm, useAVX512 bool

func init() { setKernels(chooseSet(os.Getenv(KernelsEnv), bestSet)) }

// chooseSet is the set to start with given the environment variable's value
// and the widest set the CPU has.
func chooseSet(env string, best int) int {
	if s, ok := parseSet(env); ok {
		return min(s, best)
	}
	return best
}

func parseSet(name string) (int, bool) {
	for s, n := range setNames {
		if n == name {
			return s, true
		}
	}
	return 0, false
}

func setKernels(s int) {
	useAsm = s >= setAVX2
	useAVX512 = s >= setAVX512
}

func currentSet() int {
	switch {
	case useAVX512:
		return setAVX512
	case useAsm:
		return setAVX2
	}
	return setGo
}

// Kernels names the kernel set in use: "avx512", "avx2" or "go". Programs
// print it next to timings, which depend on it.
func Kernels() string { return setNames[currentSet()] }

// KernelSets lists the kernel sets this CPU can run, narrowest first.
func KernelSets() []string { return append([]string(nil), setNames[:bestSet+1]...) }

// SetKernels switches to the named kernel set ("go", "avx2", "avx512") and
// returns an error, changing nothing, if the name is unknown or the CPU
// lacks the set. It is for benchmarks that compare sets in one run: call it
// only while no kernel runs.
func SetKernels(name string) error {
	s, ok := parseSet(name)
	if !ok {
		return fmt.Errorf("tensor: unknown kernel set %q (want go, avx2 or avx512)", name)
	}
	if s > bestSet {
		return fmt.Errorf("tensor: this CPU cannot run the %s kernels (widest: %s)", name, setNames[bestSet])
	}
	setKernels(s)
	return nil
}

// Accelerated reports whether assembly kernels (AVX2/FMA or wider) are in
// use.
func Accelerated() bool { return useAsm }
