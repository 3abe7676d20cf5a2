package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// maxRecordLine bounds one JSON Lines record that score and metrics parse:
// decoding and normalising a record takes tens of times its size, so an
// unbounded line (a 100 MB one took 4.4 GB) could exhaust memory. A full
// 8,192-token rollout is about 40 KB.
const maxRecordLine = 16 << 20

// readLine returns the next line without its "\n", or an error once the
// line grows past limit bytes, before more of it is read; io.EOF only when
// no bytes are left.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > limit {
			return nil, fmt.Errorf("line longer than %d bytes", limit)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(line) > 0:
			return line, nil
		default:
			return nil, err
		}
	}
}
