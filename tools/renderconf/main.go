// Command renderconf writes default/savedsearches.conf and default/macros.conf
// from the content in app/. Run it from the repository root (./build.sh conf
// does). With -check it writes nothing and exits 1 if a file is stale.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kubeprivpod/kubeprivpod/tools/appcontent"
)

func main() {
	app := flag.String("app", "app", "folder holding the content YAML")
	out := flag.String("default", "default", "folder to write the .conf files to")
	check := flag.Bool("check", false, "report stale files instead of writing them")
	flag.Parse()

	c, err := appcontent.Load(os.DirFS(*app))
	if err != nil {
		fmt.Fprintln(os.Stderr, "renderconf:", err)
		os.Exit(2)
	}
	stale := false
	for name, data := range map[string][]byte{
		"savedsearches.conf": c.SavedSearchesConf(),
		"macros.conf":        c.MacrosConf(),
	} {
		path := filepath.Join(*out, name)
		old, _ := os.ReadFile(path)
		if bytes.Equal(old, data) {
			continue
		}
		if *check {
			fmt.Fprintf(os.Stderr, "renderconf: %s is stale; run ./build.sh conf\n", path)
			stale = true
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "renderconf:", err)
			os.Exit(2)
		}
		fmt.Println("wrote", path)
	}
	if stale {
		os.Exit(1)
	}
}
