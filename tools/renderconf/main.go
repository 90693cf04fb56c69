// Command renderconf writes default/savedsearches.conf and default/macros.conf
// from the content in app/. Run it from the repository root (./build.sh conf
// does). With -check it writes nothing and exits 1 if a file is stale.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/kubeprivpod/kubeprivpod/tools/appcontent"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("renderconf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	app := fs.String("app", "app", "folder holding the content YAML")
	out := fs.String("default", "default", "folder to write the .conf files to")
	check := fs.Bool("check", false, "report stale files instead of writing them")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := appcontent.Load(os.DirFS(*app))
	if err != nil {
		fmt.Fprintln(stderr, "renderconf:", err)
		return 2
	}
	files := map[string][]byte{
		"savedsearches.conf": c.SavedSearchesConf(),
		"macros.conf":        c.MacrosConf(),
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	stale := false
	for _, name := range names {
		data := files[name]
		path := filepath.Join(*out, name)
		old, _ := os.ReadFile(path)
		if bytes.Equal(old, data) {
			continue
		}
		if *check {
			fmt.Fprintf(stderr, "renderconf: %s is stale; run ./build.sh conf\n", path)
			stale = true
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			fmt.Fprintln(stderr, "renderconf:", err)
			return 2
		}
		fmt.Fprintln(stdout, "wrote", path)
	}
	if stale {
		return 1
	}
	return 0
}
