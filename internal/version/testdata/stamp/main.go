// Command stamp prints version.Get(); TestLinkerStamp builds it with the
// release script's -X flags.
package main

import (
	"fmt"

	"github.com/kguard/kguard/internal/version"
)

func main() { fmt.Print(version.Get()) }
