package elements

import (
	"fmt"
	"strings"

	"github.com/voxgraph/voxgraph/codecs"
	_ "github.com/voxgraph/voxgraph/codecs/g722" // G.722, pure Go
	"github.com/voxgraph/voxgraph/pipeline"
)

// codecFor resolves a codec by name; L16 follows the PCM format it carries.
func codecFor(name string, pcm pipeline.Format) (*codecs.Factory, codecs.Codec, codecs.Params, error) {
	fac, ok := codecs.Default.Lookup(name)
	if !ok {
		return nil, codecs.Codec{}, nil, fmt.Errorf("unknown codec %q (%s)", name, codecHint(name))
	}
	c := fac.Codec
	var params codecs.Params
	if strings.EqualFold(fac.Name, "L16") && !pcm.IsZero() {
		params = codecs.Params{"rate": fmt.Sprint(pcm.Rate), "channels": fmt.Sprint(pcm.Channels)}
		lc, err := codecs.L16Codec(params)
		if err != nil {
			return nil, codecs.Codec{}, nil, err
		}
		c = lc
	}
	return fac, c, params, nil
}

func codecHint(name string) string {
	names := codecs.Default.Names()
	if h := pipeline.DidYouMean(name, names); h != "" {
		return h
	}
	return "known codecs: " + strings.Join(names, ", ")
}
