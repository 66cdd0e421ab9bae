;; faults: methods that misbehave, for the sandbox's and kernel's tests.
(module
  (import "mcpzero" "state_set" (func $state_set (param i32 i32 i32 i32)))
  (import "mcpzero" "state_get" (func $state_get (param i32 i32 i32 i32) (result i32)))
  (import "mcpzero" "output_write" (func $output_write (param i32 i32)))
  (import "mcpzero" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "dirty")

  ;; writes state, then traps: the write must not be kept
  (func (export "trap")
    (call $state_set (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 5))
    unreachable)

  ;; never returns
  (func (export "loop")
    (loop $forever (br $forever)))

  ;; grows memory until the limit refuses, then traps
  (func (export "grow")
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable)

  ;; a state key pointer outside memory
  (func (export "oob")
    (call $state_set (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 1)))

  ;; a key longer than 256 bytes
  (func (export "bigkey")
    (call $state_set (i32.const 0) (i32.const 300) (i32.const 0) (i32.const 1)))

  ;; a value of 2000 bytes (over a small state-bytes constraint)
  (func (export "bigvalue")
    (call $state_set (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 2000)))

  ;; out-of-bounds output
  (func (export "badoutput")
    (call $output_write (i32.const 65535) (i32.const 2)))

  ;; state_get writing outside memory
  (func (export "badget")
    (call $state_set (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 5))
    (drop (call $state_get (i32.const 0) (i32.const 5) (i32.const 65534) (i32.const 5))))

  ;; log and finish
  (func (export "ok")
    (call $log (i32.const 0) (i32.const 5))
    (call $output_write (i32.const 0) (i32.const 5)))

  ;; not a method: has a parameter
  (func (export "notmethod") (param i32)))
