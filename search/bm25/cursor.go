package bm25

import (
	"encoding/binary"
	"math"
)

// endDoc marks an exhausted cursor; it is above every valid doc id.
const endDoc = math.MaxUint32

// cursor iterates over one term's postings in doc order, using the skip
// entries to jump over whole blocks without decoding them.
type cursor struct {
	postings []byte
	skips    []byte
	maxDoc   uint32 // number of passages; a doc id at or above it is corrupt
	nblocks  int
	block    int    // current block
	pos      int    // read offset in postings
	end      int    // end of the current block in postings
	prev     uint32 // doc before the next one to decode
	doc      uint32 // current doc, endDoc when exhausted
	tf       uint32
}

func newCursor(ti termInfo, maxDoc uint32) *cursor {
	c := &cursor{postings: ti.postings, skips: ti.skips, maxDoc: maxDoc, nblocks: len(ti.skips) / skipEntrySize, block: -1}
	c.enterBlock(0)
	c.next()
	return c
}

func (c *cursor) skipLast(b int) uint32 {
	return binary.LittleEndian.Uint32(c.skips[b*skipEntrySize:])
}

func (c *cursor) skipEnd(b int) int {
	return int(binary.LittleEndian.Uint32(c.skips[b*skipEntrySize+4:]))
}

// enterBlock positions the cursor at the start of block b.
func (c *cursor) enterBlock(b int) {
	c.block = b
	if b >= c.nblocks {
		c.pos, c.end = 0, 0
		return
	}
	c.pos, c.prev = 0, 0
	if b > 0 {
		c.pos = c.skipEnd(b - 1)
		c.prev = c.skipLast(b - 1)
	}
	c.end = c.skipEnd(b)
	if c.pos > c.end || c.end > len(c.postings) {
		c.pos, c.end = 0, 0 // corrupt skip entry (only without checksums): skip the block
	}
}

// next moves to the following posting.
func (c *cursor) next() {
	for c.pos >= c.end {
		if c.block+1 >= c.nblocks {
			c.doc, c.block = endDoc, c.nblocks
			return
		}
		c.enterBlock(c.block + 1)
	}
	delta, n := binary.Uvarint(c.postings[c.pos:c.end])
	if n <= 0 {
		c.doc = endDoc // corrupt data: end the list rather than misread it
		return
	}
	c.pos += n
	tf, n := binary.Uvarint(c.postings[c.pos:c.end])
	if n <= 0 {
		c.doc = endDoc
		return
	}
	c.pos += n
	c.prev += uint32(delta)
	c.doc, c.tf = c.prev, uint32(tf)
	if c.doc >= c.maxDoc {
		c.doc, c.block = endDoc, c.nblocks // corrupt data: end the list rather than misread it
	}
}

// advance moves to the first posting with doc >= target.
func (c *cursor) advance(target uint32) {
	if c.doc >= target {
		return
	}
	b := c.block
	for b < c.nblocks && c.skipLast(b) < target {
		b++
	}
	if b >= c.nblocks {
		c.doc, c.block = endDoc, c.nblocks
		return
	}
	if b != c.block {
		c.enterBlock(b)
	}
	for {
		c.next()
		if c.doc >= target {
			return
		}
	}
}
