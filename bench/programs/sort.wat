;; Memory-bound sort: fill n i32 words with an LCG, insertion-sort them in
;; linear memory (element i at byte 4+4i), trap if the result is not sorted, return a checksum.
;; run(n): about 6 n^2 / 4 loads and stores on random input.
(module
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $v i32) (local $seed i32) (local $sum i32) (local $pages i32)
    ;; grow memory to hold n words
    (local.set $pages (i32.shr_u (i32.add (i32.shl (local.get $n) (i32.const 2)) (i32.const 65539)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
              (then unreachable))))
    (local.set $seed (i32.const 12345))
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $seed (i32.add (i32.mul (local.get $seed) (i32.const 1103515245)) (i32.const 12345)))
        (i32.store offset=4 (i32.shl (local.get $i) (i32.const 2)) (i32.shr_u (local.get $seed) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    ;; insertion sort
    (local.set $i (i32.const 1))
    (block $sorted
      (loop $outer
        (br_if $sorted (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (i32.load offset=4 (i32.shl (local.get $i) (i32.const 2))))
        (local.set $j (local.get $i))
        (block $placed
          (loop $inner
            (br_if $placed (i32.eqz (local.get $j)))
            (br_if $placed (i32.le_u (i32.load (i32.shl (local.get $j) (i32.const 2))) (local.get $v)))
            (i32.store offset=4 (i32.shl (local.get $j) (i32.const 2))
                       (i32.load (i32.shl (local.get $j) (i32.const 2))))
            (local.set $j (i32.sub (local.get $j) (i32.const 1)))
            (br $inner)))
        (i32.store offset=4 (i32.shl (local.get $j) (i32.const 2)) (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    ;; check and checksum
    (local.set $i (i32.const 1))
    (block $checked
      (loop $check
        (br_if $checked (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.gt_u (i32.load (i32.shl (local.get $i) (i32.const 2)))
                      (i32.load offset=4 (i32.shl (local.get $i) (i32.const 2))))
          (then unreachable))
        (local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31))
                                 (i32.load offset=4 (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $check)))
    (local.get $sum))
)
