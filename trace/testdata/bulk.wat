;; Bulk memory (memory.copy, memory.fill) and a call_indirect whose table
;; index the test re-encodes as the two-byte LEB 0x80 0x00, as Rust/LLVM 20
;; emit it (wat2wasm writes the single byte 0x00).
(module
  (type $bin (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $add $sub)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (data (i32.const 65520) "\f0\f1\f2\f3\f4\f5\f6\f7\f8\f9\fa\fb\fc\fd\fe\ff")

  (func (export "copy") (param $dst i32) (param $src i32) (param $n i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n)))

  (func (export "fill") (param $dst i32) (param $val i32) (param $n i32)
    (memory.fill (local.get $dst) (local.get $val) (local.get $n)))

  ;; Several bulk operations in one call, each checked by a load, so that
  ;; small segments cut between and around them.
  (func (export "mix") (result i32)
    (memory.fill (i32.const 1000) (i32.const 0x1AB) (i32.const 100)) ;; crosses chunk 0/1, low byte 0xAB
    (memory.copy (i32.const 2) (i32.const 0) (i32.const 14))         ;; overlapping, backward
    (memory.copy (i32.const 20) (i32.const 2) (i32.const 14))        ;; forward, disjoint
    (memory.copy (i32.const 21) (i32.const 20) (i32.const 8))        ;; overlapping, backward
    (memory.copy (i32.const 20) (i32.const 22) (i32.const 8))        ;; overlapping, forward
    (memory.copy (i32.const 65530) (i32.const 1000) (i32.const 6))   ;; to the very end
    (memory.copy (i32.const 65536) (i32.const 0) (i32.const 0))      ;; n = 0 at the end: no-op
    (memory.fill (i32.const 65536) (i32.const 9) (i32.const 0))      ;; n = 0 at the end: no-op
    (i32.add
      (i32.add (i32.load (i32.const 20)) (i32.load (i32.const 24)))
      (i32.add (i32.load (i32.const 65532)) (i32.load8_u (i32.const 1099)))))

  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))

  ;; The test rewrites "11 00 00 01" (call_indirect type 0, table 0; nop)
  ;; into "11 00 80 00" (table index 0 as a two-byte LEB): same length.
  (func (export "indirect") (param $i i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $bin) (local.get $a) (local.get $b) (local.get $i))
    nop)
)
