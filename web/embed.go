// Package web holds the Web SDK (TypeScript in src/, built into dist/) and
// the demo application (demo/). The built SDK and the demo are embedded so
// that `rtcengine serve` serves them without node: /sdk/rtcengine.js and /.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist/rtcengine.js dist/*.d.ts
var dist embed.FS

//go:embed demo
var demo embed.FS

// SDK returns the built SDK: rtcengine.js and its .d.ts files.
func SDK() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embedded tree always has dist
	}
	return sub
}

// Demo returns the demo application: index.html, app.js, style.css.
func Demo() fs.FS {
	sub, err := fs.Sub(demo, "demo")
	if err != nil {
		panic(err)
	}
	return sub
}
