;; A run that traps: `unreachable` after a little work. A trap is an
;; outcome to prove, not an error.
(module
  (func (export "boom") (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.add
    drop
    unreachable))
