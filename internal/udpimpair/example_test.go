package udpimpair_test

import (
	"fmt"
	"net"
	"time"

	"github.com/voxgraph/voxgraph/internal/udpimpair"
)

// Ten RTP-like packets through a proxy that drops each with probability
// 0.3; the log says which, by sequence number, and is the same on every run
// with this seed.
func Example() {
	dst, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer dst.Close()
	p, err := udpimpair.New("127.0.0.1:0", dst.LocalAddr().String(), udpimpair.Config{Seed: 1, Loss: 0.3})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	src, _ := net.DialUDP("udp", nil, p.Addr())
	defer src.Close()
	for seq := range 10 {
		src.Write([]byte{0x80, 0, 0, byte(seq), 0, 0, 0, 0, 0, 0, 0, 1})
	}
	for i := 0; i < 1000 && p.Counters().Received < 10; i++ {
		time.Sleep(time.Millisecond) // let the proxy read them
	}
	for _, ev := range p.Log() {
		if ev.Action == udpimpair.Dropped {
			fmt.Println(ev)
		}
	}
	c := p.Counters()
	fmt.Printf("received %d, dropped %d\n", c.Received, c.Dropped)
	// Output:
	// #0 seq=0 len=12 dropped
	// #1 seq=1 len=12 dropped
	// #4 seq=4 len=12 dropped
	// #8 seq=8 len=12 dropped
	// received 10, dropped 4
}
