package domain

// Status is where a reservation stands.
type Status string

// The statuses of a reservation, as the contract names them.
const (
	StatusPlaced     Status = "PLACED"
	StatusAccepted   Status = "ACCEPTED"
	StatusCancelling Status = "CANCELLING"
	StatusCancelled  Status = "CANCELLED"
	StatusFulfilled  Status = "FULFILLED"
)

// Label is the status as customers and agents read it.
func (s Status) Label() string {
	switch s {
	case StatusPlaced:
		return "예약신청"
	case StatusAccepted:
		return "예약접수완료"
	case StatusCancelling:
		return "예약취소"
	case StatusCancelled:
		return "예약취소완료"
	case StatusFulfilled:
		return "개통완료"
	}
	return ""
}

// FulfilMethod is how a phone reached its customer.
type FulfilMethod string

// The ways a reservation is fulfilled.
const (
	Delivery   FulfilMethod = "DELIVERY"
	StoreVisit FulfilMethod = "STORE_VISIT"
)
