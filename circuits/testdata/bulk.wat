;; Bulk memory: memory.copy forward, backward (dst > src), overlapping, at
;; the end of memory, n = 0, and each operand out of bounds; memory.fill
;; with a value above 255 (only its low byte is written), at the end, and
;; out of bounds. Each export returns a sum over the regions it may change.
(module
  (memory 1 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18")
  (data (i32.const 65528) "\f8\f9\fa\fb\fc\fd\fe\ff")

  (func $sum (result i64)
    (i64.add
      (i64.add (i64.load (i32.const 0)) (i64.load (i32.const 8)))
      (i64.add (i64.load (i32.const 16)) (i64.load (i32.const 65528)))))

  (func (export "copy") (param $dst i32) (param $src i32) (param $n i32) (result i64)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n))
    (call $sum))

  (func (export "fill") (param $dst i32) (param $val i32) (param $n i32) (result i64)
    (memory.fill (local.get $dst) (local.get $val) (local.get $n))
    (call $sum))
)
