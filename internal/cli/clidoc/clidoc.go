package clidoc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// FileName is the reference file of cmd: its command path with
// underscores, as cobra's generator links to it ("kguard_rbac_who-can.md").
func FileName(cmd *cobra.Command) string {
	return strings.ReplaceAll(cmd.CommandPath(), " ", "_") + ".md"
}

// Files renders the reference of root and of every command below it that
// --help lists (cobra's help command and hidden commands are left out, as
// cobra's tree generator does), keyed by file name. The output depends on
// the tree alone: cobra's "Auto generated ... on DATE" line is turned off
// on every command, so the same tree always gives the same bytes.
func Files(root *cobra.Command) (map[string][]byte, error) {
	files := map[string][]byte{}
	var render func(*cobra.Command) error
	render = func(cmd *cobra.Command) error {
		for _, c := range cmd.Commands() {
			if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
				continue
			}
			if err := render(c); err != nil {
				return err
			}
		}
		cmd.DisableAutoGenTag = true
		var b bytes.Buffer
		if err := doc.GenMarkdownCustom(cmd, &b, func(s string) string { return s }); err != nil {
			return fmt.Errorf("render %s: %w", cmd.CommandPath(), err)
		}
		name := FileName(cmd)
		if _, dup := files[name]; dup {
			return fmt.Errorf("two commands render to %s", name)
		}
		files[name] = b.Bytes()
		return nil
	}
	if err := render(root); err != nil {
		return nil, err
	}
	return files, nil
}

// Write makes dir hold exactly files: each is written, and any other
// Markdown file in dir (the page of a command since removed or renamed) is
// deleted.
func Write(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return err
	}
	for _, path := range old {
		if _, keep := files[filepath.Base(path)]; !keep {
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Compare lists how the Markdown files in dir differ from files, one line
// per file ("kguard_scan.md: stale", "... missing", "... not a command"),
// sorted; none when dir is up to date.
func Compare(dir string, files map[string][]byte) ([]string, error) {
	var diffs []string
	onDisk, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	for _, path := range onDisk {
		if _, ok := files[filepath.Base(path)]; !ok {
			diffs = append(diffs, filepath.Base(path)+": not a command")
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case os.IsNotExist(err):
			diffs = append(diffs, name+": missing")
		case err != nil:
			return nil, err
		case !bytes.Equal(got, want):
			diffs = append(diffs, name+": stale")
		}
	}
	slices.Sort(diffs)
	return diffs, nil
}
