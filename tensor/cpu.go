package tensor

// useAsm selects the AVX2/FMA assembly kernels. It is set at start-up from the
// CPU's features (see cpu_amd64.go) and flipped by tests to check that the
// assembly and the portable Go kernels agree.
var useAsm = hasAsm

// Accelerated reports whether the AVX2/FMA kernels are in use.
func Accelerated() bool { return useAsm }
