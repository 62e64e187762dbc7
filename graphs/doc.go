// Package graphs reads voxgraph graph descriptions and turns them into a
// *pipeline.Spec. A graph can be written in two syntaxes that describe the
// same thing: a YAML file, for graphs worth keeping, and a one-line form in
// the style of gst-launch, for the command line. Both produce identical
// specs (apart from source positions), and FormatLine turns any spec back
// into the one-line form.
//
// # Names
//
// Element names, element types, property names and port names are
// identifiers: a letter or '_' followed by letters, digits, '_' and '-'
// (tone, wav-sink, out_1). Variable names (for ${name}) may also start with
// a digit or '-'.
//
// # YAML syntax
//
// A graph file is a mapping with up to four keys:
//
//	name: transcode                 # optional: the graph's name
//	vars:                           # optional: defaults for ${var} references
//	  remote: "127.0.0.1:40000"
//	elements:                       # required: element name -> settings
//	  src: {type: tone, freqs: [350, 440], level: -10, duration: 2s}
//	  t:   {type: tee}
//	  enc: {type: encode, codec: PCMU}
//	  out: {type: wav-sink, path: "${remote}"}
//	  n:   {type: null-sink}
//	links:                          # optional: list of chains
//	  - src -> t -> enc -> out
//	  - t.out_1 -> n
//
// Other top-level keys are errors. vars maps variable names to scalar values.
//
// elements maps each element's name to a mapping that holds its type (the
// key type, required) and its properties, in the order written. The name is
// the key; a name property inside the element is an error. A property value
// is a scalar, kept exactly as written (-10 stays "-10", 2s stays "2s",
// quotes are removed), or a list of scalars, stored comma separated:
// [350, 440] becomes "350,440" (so list items cannot contain commas). A
// mapping as a value is an error. Each property may be given once.
//
// links is a list of strings. Each string is a chain of two or more
// endpoints separated by "->"; every arrow becomes one link. An endpoint is
// an element name, meaning the element's only free port in that direction or
// a new request port, or NAME.PORT for a specific port. Every endpoint must
// name an element declared under elements (in any order).
//
// YAML anchors and aliases (&x, *x) may be used for elements and values;
// merge keys (<<) are not supported. A file holds one YAML document.
//
// # One-line syntax
//
// A pipeline is a sequence of words separated by blanks:
//
//	tone freqs=350,440 ! tee name=t ! wav-sink path="a b.wav"  t.out_1 ! null-sink
//
// An element is written as its TYPE followed by its properties as
// key=value words. The value runs to the next blank or '!'; a value with
// blanks, '!' or quotes is quoted: in double quotes, \" stands for " and \\
// for \ (any other backslash is kept as is); in single quotes everything is
// literal up to the next '. Quoted and unquoted parts may be mixed
// (path=my" "file.wav). key= sets an empty value. A list is comma separated:
// freqs=350,440. The property name=NAME names the element instead of
// setting a property; type cannot be set as a property.
//
// '!' links the element or reference before it to the one after it; blanks
// around '!' are optional. Several '!'-joined items form a chain, and a new
// chain starts wherever an element or reference follows a complete element
// or reference without a '!' in between.
//
// A reference NAME. (the element NAME, any free port) or NAME.PORT (a
// specific port) stands in a chain in place of an element, at its start,
// end or middle, to link an element declared elsewhere, before or after the
// reference. In the middle of a chain, NAME.PORT is both the input port of
// the link that reaches it and the output port of the link that leaves it.
// A reference takes no properties and must be linked to something.
//
//	tone ! tee name=t ! null-sink  t. ! wav-sink path=a.wav   # a tee with two branches
//	tone ! mix.in_0  mix name=mix ! null-sink                # reference before declaration
//
// An element without name= is named after its type and a counter per type
// that starts at 0, in order of appearance, skipping names already taken:
// "tone ! wav-sink ! wav-sink name=wav-sink0" names its elements tone0,
// wav-sink1 and wav-sink0. References may use these names.
//
// A name=NAME word at the very start of the pipeline, before any element,
// names the whole graph, like the name key of a graph file.
//
// Errors in the one-line form are located as <pipeline>:1:COL, where COL
// is the 1-based byte column of the offending word (for an unterminated
// quote, of the quote).
//
// # Errors
//
// Every error returned by this package is a *pipeline.Error or, when
// several problems are found at once, a pipeline.ErrorList. Each error has
// a position (file:line:col), a message and usually a hint on how to fix
// it. YAML syntax errors carry the line reported by the YAML library and
// column 1.
//
// # Standard graphs
//
// Graphs shipped with voxgraph are embedded from this directory's *.yaml
// files and named std:NAME on the command line (see Std, StdNames and
// Resolve); for example std:demo runs the engine end to end with no input
// files.
package graphs
