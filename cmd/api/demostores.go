package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tshop/tshop/domain"
)

// district is a Korean city, county or district (시·군·구) the generated
// demo directory places stores in.
type district struct {
	slug     string  // romanized, unique, prefixed by its city: "seoul-gangnam"
	name     string  // Korean, as store names show it: "서울 강남구"
	lat, lon float64 // approximate centre (district office), WGS84
	weight   int     // population tier, 1 (under 150k) to 4 (over 500k)
}

// districts are the places the generated demo directory covers: every
// district of the special and metropolitan cities, the larger cities of
// Gyeonggi (by 구 where a city has them) and the main cities and counties of
// the provinces and Jeju. Coordinates are rounded to 4 decimal places, about
// 10 m, which is far finer than they are accurate.
var districts = []district{
	// 서울특별시 (25 구)
	{"seoul-jongno", "서울 종로구", 37.5735, 126.9790, 2},
	{"seoul-jung", "서울 중구", 37.5636, 126.9976, 2},
	{"seoul-yongsan", "서울 용산구", 37.5326, 126.9905, 2},
	{"seoul-seongdong", "서울 성동구", 37.5633, 127.0371, 2},
	{"seoul-gwangjin", "서울 광진구", 37.5385, 127.0823, 3},
	{"seoul-dongdaemun", "서울 동대문구", 37.5744, 127.0400, 3},
	{"seoul-jungnang", "서울 중랑구", 37.6063, 127.0925, 3},
	{"seoul-seongbuk", "서울 성북구", 37.5894, 127.0167, 3},
	{"seoul-gangbuk", "서울 강북구", 37.6396, 127.0257, 2},
	{"seoul-dobong", "서울 도봉구", 37.6688, 127.0471, 2},
	{"seoul-nowon", "서울 노원구", 37.6542, 127.0568, 4},
	{"seoul-eunpyeong", "서울 은평구", 37.6027, 126.9291, 3},
	{"seoul-seodaemun", "서울 서대문구", 37.5791, 126.9368, 3},
	{"seoul-mapo", "서울 마포구", 37.5663, 126.9019, 3},
	{"seoul-yangcheon", "서울 양천구", 37.5170, 126.8664, 3},
	{"seoul-gangseo", "서울 강서구", 37.5509, 126.8495, 4},
	{"seoul-guro", "서울 구로구", 37.4954, 126.8874, 3},
	{"seoul-geumcheon", "서울 금천구", 37.4519, 126.9020, 2},
	{"seoul-yeongdeungpo", "서울 영등포구", 37.5264, 126.8962, 3},
	{"seoul-dongjak", "서울 동작구", 37.5124, 126.9393, 3},
	{"seoul-gwanak", "서울 관악구", 37.4784, 126.9516, 3},
	{"seoul-seocho", "서울 서초구", 37.4837, 127.0324, 3},
	{"seoul-gangnam", "서울 강남구", 37.5172, 127.0473, 4},
	{"seoul-songpa", "서울 송파구", 37.5145, 127.1066, 4},
	{"seoul-gangdong", "서울 강동구", 37.5301, 127.1238, 3},

	// 부산광역시 (15 구, 1 군)
	{"busan-jung", "부산 중구", 35.1064, 129.0324, 1},
	{"busan-seo", "부산 서구", 35.0979, 129.0244, 1},
	{"busan-dong", "부산 동구", 35.1295, 129.0454, 1},
	{"busan-yeongdo", "부산 영도구", 35.0912, 129.0679, 1},
	{"busan-busanjin", "부산 부산진구", 35.1631, 129.0532, 3},
	{"busan-dongnae", "부산 동래구", 35.2049, 129.0837, 2},
	{"busan-nam", "부산 남구", 35.1366, 129.0843, 2},
	{"busan-buk", "부산 북구", 35.1972, 128.9903, 2},
	{"busan-haeundae", "부산 해운대구", 35.1631, 129.1636, 3},
	{"busan-saha", "부산 사하구", 35.1046, 128.9749, 2},
	{"busan-geumjeong", "부산 금정구", 35.2428, 129.0922, 2},
	{"busan-gangseo", "부산 강서구", 35.2122, 128.9807, 1},
	{"busan-yeonje", "부산 연제구", 35.1762, 129.0799, 2},
	{"busan-suyeong", "부산 수영구", 35.1455, 129.1131, 2},
	{"busan-sasang", "부산 사상구", 35.1526, 128.9911, 2},
	{"busan-gijang", "부산 기장군", 35.2446, 129.2222, 2},

	// 인천광역시 (8 구, 2 군)
	{"incheon-jung", "인천 중구", 37.4738, 126.6216, 2},
	{"incheon-dong", "인천 동구", 37.4739, 126.6432, 1},
	{"incheon-michuhol", "인천 미추홀구", 37.4635, 126.6505, 3},
	{"incheon-yeonsu", "인천 연수구", 37.4101, 126.6783, 3},
	{"incheon-namdong", "인천 남동구", 37.4473, 126.7314, 3},
	{"incheon-bupyeong", "인천 부평구", 37.5070, 126.7219, 3},
	{"incheon-gyeyang", "인천 계양구", 37.5372, 126.7376, 2},
	{"incheon-seo", "인천 서구", 37.5456, 126.6760, 4},
	{"incheon-ganghwa", "인천 강화군", 37.7466, 126.4880, 1},
	{"incheon-ongjin", "인천 옹진군", 37.2540, 126.4700, 1}, // 영흥도

	// 대구광역시 (7 구, 2 군)
	{"daegu-jung", "대구 중구", 35.8694, 128.6062, 1},
	{"daegu-dong", "대구 동구", 35.8866, 128.6355, 3},
	{"daegu-seo", "대구 서구", 35.8718, 128.5592, 2},
	{"daegu-nam", "대구 남구", 35.8460, 128.5975, 1},
	{"daegu-buk", "대구 북구", 35.8858, 128.5828, 3},
	{"daegu-suseong", "대구 수성구", 35.8582, 128.6306, 3},
	{"daegu-dalseo", "대구 달서구", 35.8299, 128.5326, 4},
	{"daegu-dalseong", "대구 달성군", 35.7746, 128.4314, 2},
	{"daegu-gunwi", "대구 군위군", 36.2428, 128.5728, 1},

	// 광주광역시 (5 구)
	{"gwangju-dong", "광주 동구", 35.1461, 126.9232, 1},
	{"gwangju-seo", "광주 서구", 35.1522, 126.8899, 2},
	{"gwangju-nam", "광주 남구", 35.1328, 126.9026, 2},
	{"gwangju-buk", "광주 북구", 35.1742, 126.9120, 3},
	{"gwangju-gwangsan", "광주 광산구", 35.1395, 126.7937, 3},

	// 대전광역시 (5 구)
	{"daejeon-dong", "대전 동구", 36.3120, 127.4548, 2},
	{"daejeon-jung", "대전 중구", 36.3256, 127.4213, 2},
	{"daejeon-seo", "대전 서구", 36.3554, 127.3838, 3},
	{"daejeon-yuseong", "대전 유성구", 36.3624, 127.3562, 3},
	{"daejeon-daedeok", "대전 대덕구", 36.3467, 127.4156, 2},

	// 울산광역시 (4 구, 1 군)
	{"ulsan-jung", "울산 중구", 35.5694, 129.3327, 2},
	{"ulsan-nam", "울산 남구", 35.5439, 129.3301, 2},
	{"ulsan-dong", "울산 동구", 35.5050, 129.4166, 1},
	{"ulsan-buk", "울산 북구", 35.5826, 129.3613, 2},
	{"ulsan-ulju", "울산 울주군", 35.5622, 129.1243, 2},

	// 세종특별자치시
	{"sejong", "세종", 36.4800, 127.2890, 3},

	// 경기도
	{"suwon-jangan", "수원 장안구", 37.3039, 127.0104, 2},
	{"suwon-gwonseon", "수원 권선구", 37.2577, 126.9717, 3},
	{"suwon-paldal", "수원 팔달구", 37.2826, 127.0198, 2},
	{"suwon-yeongtong", "수원 영통구", 37.2596, 127.0464, 3},
	{"seongnam-sujeong", "성남 수정구", 37.4503, 127.1456, 2},
	{"seongnam-jungwon", "성남 중원구", 37.4304, 127.1370, 2},
	{"seongnam-bundang", "성남 분당구", 37.3827, 127.1189, 3},
	{"goyang-deogyang", "고양 덕양구", 37.6373, 126.8324, 3},
	{"goyang-ilsandong", "고양 일산동구", 37.6584, 126.7749, 2},
	{"goyang-ilsanseo", "고양 일산서구", 37.6750, 126.7508, 2},
	{"yongin-cheoin", "용인 처인구", 37.2343, 127.2014, 2},
	{"yongin-giheung", "용인 기흥구", 37.2804, 127.1146, 3},
	{"yongin-suji", "용인 수지구", 37.3221, 127.0975, 3},
	{"bucheon", "부천", 37.5034, 126.7660, 4},
	{"ansan-sangnok", "안산 상록구", 37.3008, 126.8466, 3},
	{"ansan-danwon", "안산 단원구", 37.3198, 126.8113, 2},
	{"anyang-manan", "안양 만안구", 37.3867, 126.9323, 2},
	{"anyang-dongan", "안양 동안구", 37.3925, 126.9512, 3},
	{"namyangju", "남양주", 37.6360, 127.2165, 4},
	{"hwaseong", "화성", 37.1995, 126.8312, 4},
	{"pyeongtaek", "평택", 36.9921, 127.1129, 4},
	{"uijeongbu", "의정부", 37.7381, 127.0338, 3},
	{"siheung", "시흥", 37.3800, 126.8029, 4},
	{"paju", "파주", 37.7600, 126.7800, 3},
	{"gimpo", "김포", 37.6153, 126.7157, 3},
	{"gwangmyeong", "광명", 37.4786, 126.8646, 2},
	{"gyeonggi-gwangju", "경기 광주", 37.4295, 127.2551, 3},
	{"hanam", "하남", 37.5393, 127.2149, 3},
	{"guri", "구리", 37.5943, 127.1296, 2},
	{"osan", "오산", 37.1498, 127.0772, 2},
	{"gunpo", "군포", 37.3616, 126.9352, 2},
	{"uiwang", "의왕", 37.3448, 126.9683, 2},
	{"icheon", "이천", 37.2720, 127.4350, 2},
	{"yangju", "양주", 37.7853, 127.0458, 2},
	{"anseong", "안성", 37.0080, 127.2797, 2},
	{"pocheon", "포천", 37.8949, 127.2003, 1},
	{"dongducheon", "동두천", 37.9036, 127.0606, 1},
	{"gwacheon", "과천", 37.4292, 126.9876, 1},
	{"yeoju", "여주", 37.2983, 127.6374, 1},
	{"yangpyeong", "양평", 37.4917, 127.4875, 1},
	{"gapyeong", "가평", 37.8315, 127.5105, 1},
	{"yeoncheon", "연천", 38.0966, 127.0747, 1},

	// 강원특별자치도
	{"chuncheon", "춘천", 37.8813, 127.7298, 2},
	{"wonju", "원주", 37.3422, 127.9202, 3},
	{"gangneung", "강릉", 37.7519, 128.8761, 2},
	{"donghae", "동해", 37.5247, 129.1143, 1},
	{"sokcho", "속초", 38.2070, 128.5918, 1},
	{"samcheok", "삼척", 37.4500, 129.1651, 1},
	{"taebaek", "태백", 37.1641, 128.9856, 1},
	{"hongcheon", "홍천", 37.6970, 127.8887, 1},
	{"cheorwon", "철원", 38.1466, 127.3133, 1},

	// 충청북도
	{"cheongju", "청주", 36.6424, 127.4890, 4},
	{"chungju", "충주", 36.9910, 127.9259, 2},
	{"jecheon", "제천", 37.1326, 128.1910, 1},
	{"eumseong", "음성", 36.9403, 127.6906, 1},
	{"jincheon", "진천", 36.8553, 127.4355, 1},
	{"okcheon", "옥천", 36.3063, 127.5713, 1},

	// 충청남도
	{"cheonan", "천안", 36.8151, 127.1139, 4},
	{"asan", "아산", 36.7898, 127.0018, 3},
	{"seosan", "서산", 36.7848, 126.4503, 2},
	{"dangjin", "당진", 36.8898, 126.6459, 2},
	{"gongju", "공주", 36.4465, 127.1190, 1},
	{"nonsan", "논산", 36.1872, 127.0987, 1},
	{"boryeong", "보령", 36.3334, 126.6128, 1},
	{"hongseong", "홍성", 36.6012, 126.6608, 1},
	{"gyeryong", "계룡", 36.2745, 127.2486, 1},

	// 전북특별자치도
	{"jeonju", "전주", 35.8242, 127.1480, 4},
	{"iksan", "익산", 35.9483, 126.9577, 2},
	{"gunsan", "군산", 35.9676, 126.7366, 2},
	{"jeongeup", "정읍", 35.5699, 126.8560, 1},
	{"namwon", "남원", 35.4164, 127.3904, 1},
	{"gimje", "김제", 35.8036, 126.8809, 1},
	{"wanju", "완주", 35.9046, 127.1622, 1},

	// 전라남도
	{"mokpo", "목포", 34.8118, 126.3922, 2},
	{"yeosu", "여수", 34.7604, 127.6622, 2},
	{"suncheon", "순천", 34.9507, 127.4872, 2},
	{"gwangyang", "광양", 34.9407, 127.6959, 2},
	{"naju", "나주", 35.0160, 126.7108, 1},
	{"muan", "무안", 34.9904, 126.4815, 1},
	{"haenam", "해남", 34.5733, 126.5990, 1},

	// 경상북도
	{"pohang", "포항", 36.0190, 129.3435, 3},
	{"gumi", "구미", 36.1196, 128.3446, 3},
	{"gyeongju", "경주", 35.8562, 129.2247, 2},
	{"andong", "안동", 36.5684, 128.7294, 2},
	{"gimcheon", "김천", 36.1398, 128.1136, 1},
	{"gyeongsan", "경산", 35.8251, 128.7411, 2},
	{"yeongju", "영주", 36.8057, 128.6241, 1},
	{"sangju", "상주", 36.4109, 128.1590, 1},
	{"yeongcheon", "영천", 35.9733, 128.9386, 1},
	{"mungyeong", "문경", 36.5865, 128.1867, 1},
	{"chilgok", "칠곡", 35.9955, 128.4017, 1},
	{"uljin", "울진", 36.9930, 129.4004, 1},

	// 경상남도
	{"changwon-uichang", "창원 의창구", 35.2540, 128.6397, 2},
	{"changwon-seongsan", "창원 성산구", 35.1983, 128.7026, 2},
	{"changwon-masanhappo", "창원 마산합포구", 35.1975, 128.5673, 2},
	{"changwon-masanhoewon", "창원 마산회원구", 35.2208, 128.5793, 2},
	{"changwon-jinhae", "창원 진해구", 35.1330, 128.7101, 2},
	{"gimhae", "김해", 35.2285, 128.8894, 4},
	{"jinju", "진주", 35.1800, 128.1076, 3},
	{"yangsan", "양산", 35.3350, 129.0372, 3},
	{"geoje", "거제", 34.8806, 128.6211, 2},
	{"tongyeong", "통영", 34.8544, 128.4332, 1},
	{"sacheon", "사천", 35.0036, 128.0645, 1},
	{"miryang", "밀양", 35.5038, 128.7467, 1},
	{"geochang", "거창", 35.6867, 127.9095, 1},

	// 제주특별자치도
	{"jeju", "제주", 33.4996, 126.5312, 3},
	{"seogwipo", "서귀포", 33.2541, 126.5601, 2},
}

// demoJitterKm is how far from its district's centre a generated store may
// lie.
const demoJitterKm = 1.5

// kmPerDegreeLat is the length of one degree of latitude, near enough.
const kmPerDegreeLat = 111.32

// demoDirectory generates the demo store directory: a few stores in every
// district, more where more people live. It is the same on every call: the
// random source has a fixed seed and is drawn from in table order.
//
// A district of weight w gets w-1 or w stores (at least one), each placed
// uniformly within demoJitterKm of its centre, with a capacity of 10 to 60
// that grows with w. Ids are "<slug>-<nn>", names "T world <name> <n>호점".
// Every slug is prefixed by its city, so no id matches the hand-written
// demoStores ("gangnam-01", "busan-01", ...).
func demoDirectory() []domain.RegisterStore {
	rng := rand.New(rand.NewPCG(2026, 11))
	var out []domain.RegisterStore
	for _, d := range districts {
		n := max(1, d.weight-rng.IntN(2))
		for i := range n {
			// sqrt makes the points uniform over the disc, not bunched
			// at its centre.
			r := demoJitterKm * math.Sqrt(rng.Float64())
			theta := 2 * math.Pi * rng.Float64()
			dLat := r * math.Cos(theta) / kmPerDegreeLat
			dLon := r * math.Sin(theta) / (kmPerDegreeLat * math.Cos(d.lat*math.Pi/180))
			out = append(out, domain.RegisterStore{
				ID:   fmt.Sprintf("%s-%02d", d.slug, i+1),
				Name: fmt.Sprintf("T world %s %d호점", d.name, i+1),
				Location: domain.Location{
					Lat: round4(d.lat + dLat),
					Lon: round4(d.lon + dLon),
				},
				Capacity: 10 + 12*(d.weight-1) + rng.IntN(15),
			})
		}
	}
	return out
}

// round4 rounds x to 4 decimal places, about 10 m of latitude.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
