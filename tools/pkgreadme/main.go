// Command pkgreadme writes the README.md shipped at the top of the app
// package: package.md (the admin's text, linking only to files the package
// holds) followed by the Binary File Declaration generated from the built
// programs' Go build information. ./build.sh runs it while assembling the
// package:
//
//	go run ./tools/pkgreadme -targets tools/targets.txt -root . -o stage/kubeprivpod/README.md
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/kubeprivpod/kubeprivpod/tools/internal/release"
)

//go:embed package.md
var packageText string

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pkgreadme", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("targets", "tools/targets.txt", "the programs and platforms file build.sh reads")
	root := fs.String("root", ".", "folder holding the built platform folders (linux_x86_64/bin, …)")
	out := fs.String("o", "", "file to write (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pkgreadme: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	text, err := readme(*targets, *root)
	if err != nil {
		fmt.Fprintln(stderr, "pkgreadme:", err)
		return 1
	}
	if *out == "" {
		_, err = io.WriteString(stdout, text)
	} else {
		err = os.WriteFile(*out, []byte(text), 0o644)
	}
	if err != nil {
		fmt.Fprintln(stderr, "pkgreadme:", err)
		return 1
	}
	return 0
}

// readme reads every program named by the targets file under root and
// returns the package README.
func readme(targetsFile, root string) (string, error) {
	t, err := release.LoadTargets(targetsFile)
	if err != nil {
		return "", err
	}
	infos := map[string]*debug.BuildInfo{}
	for _, rel := range t.Files() {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return "", fmt.Errorf("%v (build the programs first: ./build.sh)", err)
		}
		if infos[rel], err = release.ReadBuildInfo(b); err != nil {
			return "", fmt.Errorf("%s: %v", rel, err)
		}
	}
	decl, err := release.Declaration(t, infos)
	if err != nil {
		return "", err
	}
	return packageText + "\n" + decl, nil
}
