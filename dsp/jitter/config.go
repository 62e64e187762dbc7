package jitter

import (
	"fmt"
	"time"
)

// DefaultFactor is the multiple of the RFC 3550 jitter estimate the playout
// delay covers when Config.Factor is zero.
const DefaultFactor = 3

// MaxCapacity bounds Config.Capacity so that the ring plus the reorder
// window stays well inside half the 16-bit sequence space.
const MaxCapacity = 1 << 14

// Config sets up a Buffer. Durations are on the caller's clock (the one
// arrival times and Pop's now are measured on).
type Config struct {
	// ClockRate is the RTP clock rate of the stream in Hz (8000 for G.711).
	ClockRate int
	// FrameDuration is the packet time (ptime): one packet is played per Pop,
	// and consecutive packets are FrameDuration apart in RTP time.
	FrameDuration time.Duration
	// Min and Max bound the adaptive playout delay.
	Min, Max time.Duration
	// Target is the delay used until there is jitter to measure; 0 means Min.
	Target time.Duration
	// Capacity is the number of ring slots, a power of two; 0 sizes it from
	// Max (room for twice Max plus slack, at least 16).
	Capacity int
	// Factor multiplies the jitter estimate in the delay target; 0 means
	// DefaultFactor.
	Factor float64
}

// Validate reports whether the configuration is usable, after defaults.
func (c Config) Validate() error {
	_, err := c.normalize()
	return err
}

// normalize fills defaults and checks every field.
func (c Config) normalize() (Config, error) {
	if c.ClockRate <= 0 {
		return c, fmt.Errorf("clock rate %d must be positive", c.ClockRate)
	}
	if c.FrameDuration <= 0 {
		return c, fmt.Errorf("frame duration %s must be positive", c.FrameDuration)
	}
	if ticks := int64(c.ClockRate) * int64(c.FrameDuration) / int64(time.Second); ticks <= 0 {
		return c, fmt.Errorf("frame duration %s is less than one tick of the %d Hz clock", c.FrameDuration, c.ClockRate)
	}
	if c.Min < 0 {
		return c, fmt.Errorf("min %s is negative", c.Min)
	}
	if c.Max <= 0 || c.Max < c.Min {
		return c, fmt.Errorf("max %s must be positive and at least min %s", c.Max, c.Min)
	}
	if c.Max > time.Minute {
		return c, fmt.Errorf("max %s is over a minute", c.Max)
	}
	if c.Target == 0 {
		c.Target = c.Min
	}
	if c.Target < c.Min || c.Target > c.Max {
		return c, fmt.Errorf("target %s must be between min %s and max %s", c.Target, c.Min, c.Max)
	}
	if c.Factor == 0 {
		c.Factor = DefaultFactor
	}
	if !(c.Factor > 0 && c.Factor <= 100) { // also rejects NaN
		return c, fmt.Errorf("factor %g must be in (0, 100]", c.Factor)
	}
	maxFrames := int((c.Max + c.FrameDuration - 1) / c.FrameDuration)
	if c.Capacity == 0 {
		c.Capacity = 16
		for c.Capacity < 2*maxFrames+4 && c.Capacity < MaxCapacity {
			c.Capacity *= 2
		}
	}
	if c.Capacity < 4 || c.Capacity > MaxCapacity || c.Capacity&(c.Capacity-1) != 0 {
		return c, fmt.Errorf("capacity %d must be a power of two between 4 and %d", c.Capacity, MaxCapacity)
	}
	if c.Capacity < maxFrames+2 {
		return c, fmt.Errorf("capacity %d slots cannot hold max %s of %s frames (need at least %d)", c.Capacity, c.Max, c.FrameDuration, maxFrames+2)
	}
	return c, nil
}
