package tensor

import (
	"slices"
	"testing"
)

func TestChooseSet(t *testing.T) {
	for _, tc := range []struct {
		env        string
		best, want int
	}{
		{"", setAVX512, setAVX512},
		{"avx2", setAVX512, setAVX2},
		{"go", setAVX512, setGo},
		{"avx512", setAVX2, setAVX2},
		{"avx512", setGo, setGo},
		{"AVX2", setAVX512, setAVX512}, // unknown: the widest
		{"sse", setAVX2, setAVX2},
	} {
		if got := chooseSet(tc.env, tc.best); got != tc.want {
			t.Errorf("chooseSet(%q, %s) = %s, want %s", tc.env, setNames[tc.best], setNames[got], setNames[tc.want])
		}
	}
}

func TestSetKernels(t *testing.T) {
	saved := currentSet()
	defer setKernels(saved)
	sets := KernelSets()
	if sets[0] != "go" || sets[len(sets)-1] != setNames[bestSet] {
		t.Fatalf("KernelSets() = %v with widest %s", sets, setNames[bestSet])
	}
	for _, name := range sets {
		if err := SetKernels(name); err != nil {
			t.Fatal(err)
		}
		if got := Kernels(); got != name {
			t.Errorf("after SetKernels(%q), Kernels() = %q", name, got)
		}
		if Accelerated() != (name != "go") {
			t.Errorf("%s: Accelerated() = %v", name, Accelerated())
		}
	}
	before := Kernels()
	for _, bad := range []string{"", "sse4", "AVX2"} {
		if err := SetKernels(bad); err == nil || Kernels() != before {
			t.Errorf("SetKernels(%q) = %v, kernels now %s", bad, err, Kernels())
		}
	}
	if !slices.Contains(sets, "avx512") {
		if err := SetKernels("avx512"); err == nil {
			t.Error("SetKernels(avx512) succeeded on a CPU without AVX-512")
		}
	}
}
