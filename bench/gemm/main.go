//go:build openblas

// Command gemm compares tensor.Gemm with OpenBLAS's cblas_sgemm, same thread
// count, same operands, in one run: GFLOP/s at 1024³ and at the shapes of
// Qwen2.5-0.5B's linear layers (C = X·Wᵀ, W stored [out][in]). Run it with
// run.sh, which installs libopenblas-dev and sets the thread counts.
package main

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"
	"unsafe"

	"research/tensor"
)

type shape struct {
	name    string
	m, n, k int
	transB  bool
}

func main() {
	threads := flag.Int("threads", 2, "threads for both libraries")
	minTime := flag.Duration("time", time.Second, "minimum time per measurement")
	scale := flag.Int("scale", 1, "divide every dimension by this (a smoke test of the script, not a measurement)")
	kernels := flag.String("kernels", "", "comma-separated kernel sets to measure in turn, e.g. avx2,avx512 (default: the one $RESEARCH_KERNELS and the CPU choose)")
	flag.Parse()
	sets := []string{tensor.Kernels()}
	if *kernels != "" {
		sets = strings.Split(*kernels, ",")
	}
	tensor.Workers = *threads
	C.openblas_set_num_threads(C.int(*threads))
	// The core OpenBLAS dispatched to (OPENBLAS_CORETYPE narrows it).
	fmt.Printf("OpenBLAS %s, core %s\n", C.GoString(C.openblas_get_config()), C.GoString(C.openblas_get_corename()))

	shapes := []shape{
		{"square 1024³ (NN)", 1024, 1024, 1024, false},
		{"square 1024³ (NT)", 1024, 1024, 1024, true},
		{"prefill q/o proj", 512, 896, 896, true},
		{"prefill k/v proj", 512, 128, 896, true},
		{"prefill gate/up", 512, 4864, 896, true},
		{"prefill down", 512, 896, 4864, true},
		{"decode×16 gate/up", 16, 4864, 896, true},
		{"decode×16 down", 16, 896, 4864, true},
		{"decode×1 gate/up", 1, 4864, 896, true},
		{"decode×16 LM head", 16, 151936, 896, true},
		{"decode×1 LM head", 1, 151936, 896, true},
	}
	if *scale > 1 {
		for i := range shapes {
			s := &shapes[i]
			s.m, s.n, s.k = max(1, s.m / *scale), max(1, s.n / *scale), max(1, s.k / *scale)
		}
	}
	for _, set := range sets {
		if err := tensor.SetKernels(set); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("threads=%d  kernels=%s (this CPU has: %s)\n", *threads, tensor.Kernels(), strings.Join(tensor.KernelSets(), ", "))
		run(shapes, *minTime)
	}
}

func run(shapes []shape, minTime time.Duration) {
	fmt.Printf("%-22s %16s %10s %10s %7s\n", "shape", "m×n×k", "ours", "OpenBLAS", "ratio")
	// The RATIO lines (ours/OpenBLAS) are for scripts (bench/peers.sh):
	// 1024³ NN, and the worst of the model shapes (every non-square one).
	var square, modelMin float64 = 0, math.Inf(1)
	for _, s := range shapes {
		r := rand.New(rand.NewPCG(1, 2))
		a, b := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n)
		c1, c2 := make([]float32, s.m*s.n), make([]float32, s.m*s.n)
		ldb := s.n
		if s.transB {
			ldb = s.k
		}
		tb := C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans)
		if s.transB {
			tb = C.CblasTrans
		}
		ours, blas := measure(minTime, s, func() {
			tensor.Gemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, b, ldb, 0, c1, s.n)
		}, func() {
			C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, tb, C.blasint(s.m), C.blasint(s.n), C.blasint(s.k), 1,
				(*C.float)(unsafe.Pointer(&a[0])), C.blasint(s.k), (*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
				0, (*C.float)(unsafe.Pointer(&c2[0])), C.blasint(s.n))
		})
		if d := maxRelDiff(c1, c2); d > 1e-3 {
			fmt.Fprintf(os.Stderr, "%s: results differ (max relative difference %g)\n", s.name, d)
			os.Exit(1)
		}
		fmt.Printf("%-22s %16s %10.1f %10.1f %7.2f\n", s.name, fmt.Sprintf("%d×%d×%d", s.m, s.n, s.k), ours, blas, ours/blas)
		switch {
		case strings.HasPrefix(s.name, "square") && !s.transB:
			square = ours / blas
		case !strings.HasPrefix(s.name, "square"):
			modelMin = min(modelMin, ours/blas)
		}
	}
	fmt.Printf("RATIO gemm_1024 %.4f\n", square)
	fmt.Printf("RATIO gemm_model_shapes_min %.4f\n", modelMin)
}

// settle is how long a batch waits for the other library's threads to go
// idle: OpenBLAS's workers spin for 2^28 cycles (OPENBLAS_THREAD_TIMEOUT's
// default) after each call, and a batch of ours started inside that window
// ran on one core of two.
const settle = 300 * time.Millisecond

// measure times f and g in alternating batches (five each, minTime in all),
// so both see the same load on a shared machine, and returns the best batch
// rate of each in GFLOP/s: the least disturbed one.
func measure(minTime time.Duration, s shape, f, g func()) (float64, float64) {
	f()
	g()
	var best [2]float64
	for range 5 {
		for i, h := range []func(){f, g} {
			time.Sleep(settle)
			n := 0
			start := time.Now()
			for time.Since(start) < minTime/10 || n == 0 {
				h()
				n++
			}
			rate := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(n) / time.Since(start).Seconds() / 1e9
			best[i] = max(best[i], rate)
		}
	}
	return best[0], best[1]
}

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func maxRelDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i]))/(1+math.Abs(float64(b[i]))))
	}
	return d
}
