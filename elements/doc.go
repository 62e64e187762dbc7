// Package elements holds voxgraph's built-in elements, one file each,
// registered by name in pipeline.DefaultRegistry at init. Importing this
// package (blank import is enough) makes them available to graph files.
//
// Each element is a struct whose `prop`-tagged fields are its properties;
// `voxgraph inspect NAME` prints them with their types, defaults and docs.
// The elements are thin glue: algorithms live in package dsp and codecs in
// package codecs, where they are tested on plain slices.
package elements
