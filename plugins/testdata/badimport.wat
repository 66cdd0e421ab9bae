;; badimport: imports a function the host does not provide.
(module
  (import "env" "now" (func $now (result i64)))
  (func (export "run") (drop (call $now))))
