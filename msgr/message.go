package msgr

import "gomgr/msgr/wire"

// Priorities, as CEPH_MSG_PRIO_*.
const (
	PrioLow     = 64
	PrioDefault = 127
	PrioHigh    = 196
	PrioHighest = 255
)

// Message is one msgr v1 message: the header fields a sender chooses and the
// three payload segments. Seq is filled in by the connection, and Src too
// when left zero (a sender that speaks for several entities on one
// session, as a host of simulated OSDs does, sets it).
// A Message handed to Send must not be changed afterwards: the connection may
// hold it until the peer acks it.
type Message struct {
	Type          uint16
	Priority      uint16
	Version       uint16
	CompatVersion uint16
	Tid           uint64
	Seq           uint64
	Src           wire.EntityName
	DataOff       uint16
	Front         []byte
	Middle        []byte
	Data          []byte
}

// Len is the payload size in bytes, the unit of the dispatch throttle.
func (m *Message) Len() int { return len(m.Front) + len(m.Middle) + len(m.Data) }
