// Package dtmf detects and generates DTMF (dual-tone multi-frequency)
// digits in 16-bit mono PCM, ITU-T Q.23/Q.24.
package dtmf
