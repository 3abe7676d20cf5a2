// Command kernels prints the kernel set the tensor package runs on this CPU
// (after $RESEARCH_KERNELS narrows it) and the sets the CPU has, for scripts
// that report it next to timings (bench/peers.sh).
package main

import (
	"fmt"
	"strings"

	"research/tensor"
)

func main() {
	fmt.Printf("%s %s\n", tensor.Kernels(), strings.Join(tensor.KernelSets(), ","))
}
