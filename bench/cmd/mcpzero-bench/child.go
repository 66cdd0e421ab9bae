package main

import (
	"fmt"
	"os"

	"github.com/consensys/gnark/logger"
)

// runChild runs one measurement in this (child) process; see harness.RunChild.
func runChild(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no child measurement named")
	}
	logger.Disable() // gnark logs to stdout, where the child writes its JSON
	switch args[0] {
	case "prove":
		return childProve(args[1:])
	case "idle":
		return childIdle(args[1:])
	case "setup":
		return childSetup(args[1:])
	case "setup-shape":
		return childSetupShape(args[1:])
	}
	return fmt.Errorf("unknown child measurement %q", args[0])
}

func osStdout() *os.File { return os.Stdout }
