"""Text data for the demo school: names, places and the phrases teachers write.

Kept apart from ``demo.py`` so the generator reads as logic. Everything is Vietnamese with
full diacritics (NFC); a test checks that. Weights are relative frequencies, roughly those
of Vietnamese surveys of family names — realistic enough that a class list looks like a
real one, nothing more.

Tuples, never sets or dicts iterated for choice: the generator must draw the same names
for the same seed on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --------------------------------------------------------------------------- people

#: (family name, relative weight)
FAMILY_NAMES: Final[tuple[tuple[str, int], ...]] = (
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 35),
    ("Huỳnh", 16),
    ("Phan", 45),
    ("Vũ", 25),
    ("Võ", 14),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 6),
    ("Trịnh", 5),
    ("Mai", 4),
    ("Đoàn", 4),
    ("Lương", 3),
    ("Tạ", 2),
    ("Cao", 3),
    ("Hà", 3),
    ("Lâm", 2),
    ("Tô", 2),
)

# Children's middle and given names (born 2008–2020).
MALE_MIDDLE: Final = ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Gia", "Thành", "Công", "Anh", "Tuấn",
                      "Trung", "Nhật", "Duy", "Hoàng", "Bảo", "Đăng")
FEMALE_MIDDLE: Final = ("Thị", "Ngọc", "Thu", "Bảo", "Khánh", "Phương", "Thanh", "Minh", "Hồng",
                        "Mai", "Diệu", "Thảo", "Kim", "Hải", "Tuệ", "Quỳnh")
MALE_GIVEN: Final = ("An", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Hải", "Hiếu",
                     "Hoàng", "Huy", "Hùng", "Khang", "Khánh", "Khoa", "Kiên", "Lâm", "Long",
                     "Lộc", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quân",
                     "Quang", "Sơn", "Tài", "Thắng", "Thành", "Thịnh", "Tiến", "Toàn", "Trí",
                     "Trung", "Tuấn", "Việt", "Vinh", "Vũ", "Hưng", "Kiệt", "Nguyên")
FEMALE_GIVEN: Final = ("An", "Anh", "Chi", "Dung", "Diệp", "Giang", "Hà", "Hân", "Hằng", "Hạnh",
                       "Hiền", "Hoa", "Hương", "Huyền", "Lan", "Linh", "Loan", "Ly", "Mai", "My",
                       "Nga", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương", "Quyên", "Quỳnh",
                       "Tâm", "Thảo", "Thư", "Trang", "Trâm", "Uyên", "Vân", "Vy", "Xuân", "Yến",
                       "Hà My", "Bảo Anh")

# The parents' and teachers' generation (born 1965–1995) was named differently.
ADULT_MALE_MIDDLE: Final = ("Văn", "Văn", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Xuân", "Mạnh",
                            "Tiến", "Ngọc", "Công")
ADULT_FEMALE_MIDDLE: Final = ("Thị", "Thị", "Thị", "Thu", "Thanh", "Ngọc", "Minh", "Hồng", "Kim",
                              "Phương", "Lan")
ADULT_MALE_GIVEN: Final = ("Hùng", "Dũng", "Tuấn", "Hải", "Thắng", "Sơn", "Bình", "Cường", "Long",
                           "Quang", "Trung", "Hiếu", "Nam", "Tùng", "Thành", "Hưng", "Khoa",
                           "Lợi", "Phong", "Toàn", "Chiến", "Thịnh", "Huy", "Đông")
ADULT_FEMALE_GIVEN: Final = ("Hoa", "Hương", "Lan", "Mai", "Hà", "Thủy", "Hằng", "Nga", "Oanh",
                             "Thảo", "Dung", "Huyền", "Phương", "Liên", "Tuyết", "Yến", "Hạnh",
                             "Loan", "Nhung", "Vân", "Hiền", "Trang", "Ngọc", "Thúy", "Bích")

#: Family names common in each minority group the demo uses; Kinh use FAMILY_NAMES.
MINORITY_FAMILY_NAMES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("Tày", ("Hoàng", "Nông", "Ma", "Lương", "Triệu", "Hà")),
    ("Nùng", ("Nông", "Hoàng", "Lương", "Vi", "Lục")),
    ("Thái", ("Lò", "Lường", "Cầm", "Quàng", "Tòng", "Vi")),
    ("Mường", ("Bùi", "Đinh", "Quách", "Hà", "Xa")),
    ("H'Mông", ("Giàng", "Sùng", "Thào", "Vàng", "Lý", "Hạng", "Mua")),
    ("Dao", ("Bàn", "Triệu", "Lý", "Đặng", "Chảo")),
    ("Sán Dìu", ("Diệp", "Lâm", "Trương", "Lý")),
    ("Giáy", ("Hoàng", "Lò", "Vương", "Sần")),
)

# H'Mông names follow their own pattern ("Giàng A Páo", "Sùng Thị Mỷ").
HMONG_MALE_GIVEN: Final = ("Páo", "Dính", "Chứ", "Sử", "Lử", "Pháy", "Tủa", "Chư", "Sính", "Vư")
HMONG_FEMALE_GIVEN: Final = ("Mỷ", "Sua", "Dợ", "Pằng", "Chá", "Say", "Mai", "Dung", "Súa", "Chi")

NATIONALITY: Final = "Việt Nam"

POLICY_STATUSES: Final = (
    "Con thương binh",
    "Con bệnh binh",
    "Hộ nghèo",
    "Hộ cận nghèo",
    "Người dân tộc thiểu số ở xã đặc biệt khó khăn",
)

GUARDIAN_PREFIXES: Final = ("Bà nội", "Ông nội", "Bà ngoại", "Ông ngoại", "Cô ruột", "Chú ruột")


# --------------------------------------------------------------------------- schools


@dataclass(frozen=True, slots=True)
class SchoolProfile:
    """Where the demo school of a level is and who lives around it."""

    name: str
    # Post-2025 two-tier addresses: ward/commune, then province; no district.
    province: str
    # How an address names the province: "tỉnh Thái Nguyên", "Thành phố Hà Nội".
    province_label: str
    address: str
    issuing_place: str
    # Codes of app.rules.provinces: the birth-registration province most students
    # have, and those of the places families often come from.
    home_code: str
    neighbour_codes: tuple[str, ...]
    wards: tuple[str, ...]
    communes: tuple[str, ...]
    ethnicity_weights: tuple[tuple[str, int], ...]
    other_schools: tuple[str, ...]  # where transferred students studied before


SCHOOLS: Final[tuple[tuple[str, SchoolProfile], ...]] = (
    (
        "tieuhoc",
        SchoolProfile(
            name="Trường Tiểu học Kim Đồng (DEMO)",
            province="Lào Cai",
            province_label="tỉnh Lào Cai",
            address="Tổ 12, phường Cam Đường, tỉnh Lào Cai",
            issuing_place="Lào Cai",
            home_code="010",
            neighbour_codes=("015", "012", "002", "014", "025", "001"),
            wards=("Cam Đường", "Lào Cai", "Sa Pa"),
            communes=("Gia Phú", "Cốc San", "Hợp Thành"),
            ethnicity_weights=(
                ("Kinh", 62), ("H'Mông", 11), ("Tày", 8), ("Dao", 8), ("Giáy", 4),
                ("Nùng", 3), ("Thái", 2), ("Mường", 2),
            ),
            other_schools=("Trường Tiểu học Lê Văn Tám", "Trường Tiểu học Nguyễn Du"),
        ),
    ),
    (
        "thcs",
        SchoolProfile(
            name="Trường THCS Minh Khai (DEMO)",
            province="Thái Nguyên",
            province_label="tỉnh Thái Nguyên",
            address="Tổ 7, phường Phan Đình Phùng, tỉnh Thái Nguyên",
            issuing_place="Thái Nguyên",
            home_code="019",
            neighbour_codes=("006", "020", "024", "008", "026", "001"),
            wards=("Phan Đình Phùng", "Gia Sàng", "Quyết Thắng", "Linh Sơn", "Tích Lương",
                   "Quan Triều"),
            communes=("Tân Cương", "Phúc Xuân", "Sơn Cẩm"),
            ethnicity_weights=(
                ("Kinh", 84), ("Tày", 6), ("Nùng", 3), ("Dao", 2), ("Sán Dìu", 2),
                ("H'Mông", 1), ("Thái", 1), ("Mường", 1),
            ),
            other_schools=("Trường THCS Tân Thịnh", "Trường THCS Chu Văn An",
                           "Trường THCS Độc Lập"),
        ),
    ),
    (
        "thpt",
        SchoolProfile(
            name="Trường THPT Lương Thế Vinh (DEMO)",
            province="Hà Nội",
            province_label="Thành phố Hà Nội",
            address="Phường Cầu Giấy, Thành phố Hà Nội",
            issuing_place="Hà Nội",
            home_code="001",
            neighbour_codes=("033", "035", "036", "034", "038", "040", "030", "027", "025"),
            wards=("Cầu Giấy", "Nghĩa Đô", "Yên Hòa", "Láng", "Kim Liên", "Thanh Xuân",
                   "Ô Chợ Dừa"),
            communes=("Đan Phượng", "Hoài Đức"),
            ethnicity_weights=(("Kinh", 96), ("Mường", 1), ("Tày", 1), ("Thái", 1), ("Nùng", 1)),
            other_schools=("Trường THPT Yên Hòa", "Trường THPT Nguyễn Trãi"),
        ),
    ),
)

#: Vietnamese alphabet letters used for primary class names (1A, 1B, …; no F, J, W, Z).
CLASS_LETTERS: Final = "ABCDEGHIKLMNOPQRSTUVXY"


# --------------------------------------------------------------------------- comments
# Secondary subject comments by tier: "high" (≥ 8), "mid" (≥ 6.5), "low" (≥ 5), "weak".

SCORED_COMMENTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("high", (
        "Nắm vững kiến thức, vận dụng linh hoạt vào bài tập.",
        "Tiếp thu bài nhanh, tích cực phát biểu xây dựng bài.",
        "Có năng lực tốt, kết quả học tập ổn định.",
        "Tư duy nhanh, trình bày bài làm khoa học.",
    )),
    ("mid", (
        "Nắm được kiến thức cơ bản, cần rèn thêm kĩ năng vận dụng.",
        "Có cố gắng trong học tập, cần cẩn thận hơn khi làm bài.",
        "Tiếp thu bài khá, cần mạnh dạn phát biểu hơn.",
    )),
    ("low", (
        "Kiến thức cơ bản còn chưa chắc, cần ôn tập thường xuyên.",
        "Cần tập trung nghe giảng và làm bài tập đầy đủ.",
        "Kĩ năng làm bài còn hạn chế, cần cố gắng nhiều hơn.",
    )),
    ("weak", (
        "Chưa nắm được kiến thức cơ bản, cần được phụ đạo thêm.",
        "Kết quả còn thấp, cần chăm chỉ và tích cực hơn.",
    )),
)

#: Subject-specific phrases, (code, high, not high), mixed in with the generic ones.
SUBJECT_COMMENTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("toan", "Tính toán nhanh, chính xác; lập luận chặt chẽ.", "Cần cẩn thận hơn trong tính toán."),
    ("nguvan", "Diễn đạt mạch lạc, bài viết có cảm xúc.",
     "Cần đọc thêm sách để vốn từ phong phú hơn."),
    ("ngoaingu1", "Phát âm chuẩn, giao tiếp tự tin.", "Cần học thuộc từ vựng và luyện nghe nhiều hơn."),
    ("khtn", "Hiểu bản chất hiện tượng, thực hành thí nghiệm tốt.",
     "Cần chú ý hơn khi làm bài thực hành."),
    ("lsdl", "Nhớ sự kiện chính xác, sử dụng bản đồ thành thạo.",
     "Cần ghi nhớ các mốc sự kiện quan trọng."),
    ("lichsu", "Nắm chắc tiến trình lịch sử, biết liên hệ thực tế.",
     "Cần ghi nhớ các mốc sự kiện quan trọng."),
    ("diali", "Sử dụng bản đồ, biểu đồ thành thạo.", "Cần rèn kĩ năng đọc bản đồ, biểu đồ."),
    ("tinhoc", "Sử dụng máy tính thành thạo, làm bài thực hành tốt.",
     "Cần thực hành trên máy tính nhiều hơn."),
    ("congnghe", "Hiểu quy trình kĩ thuật, sản phẩm thực hành đạt yêu cầu cao.",
     "Cần tích cực hơn trong giờ thực hành."),
    ("gdcd", "Hiểu bài, biết liên hệ bản thân và thực tế.", "Cần tích cực liên hệ bài học với thực tế."),
    ("vatli", "Giải bài tập định lượng tốt, hiểu bản chất hiện tượng vật lí.",
     "Cần nắm chắc công thức và đơn vị đo."),
    ("hoahoc", "Viết phương trình phản ứng chính xác, thực hành thí nghiệm an toàn.",
     "Cần học thuộc hoá trị và cân bằng phương trình cẩn thận hơn."),
    ("sinhhoc", "Nắm vững kiến thức, biết vận dụng vào thực tiễn.",
     "Cần hệ thống lại kiến thức từng chương."),
    ("gdqpan", "Thực hiện động tác điều lệnh chính xác, nghiêm túc.",
     "Cần nghiêm túc hơn trong giờ thực hành."),
)

COMMENT_SUBJECT_PASS: Final = (
    "Tích cực tham gia các hoạt động, hoàn thành tốt yêu cầu.",
    "Có ý thức rèn luyện, đạt yêu cầu môn học.",
    "Hoàn thành các nội dung học tập, có tiến bộ.",
)
COMMENT_SUBJECT_SPECIFIC: Final[tuple[tuple[str, str], ...]] = (
    ("gdtc", "Thực hiện đúng kĩ thuật động tác, thể lực tốt."),
    ("nghethuat_amnhac", "Hát đúng giai điệu, thể hiện được sắc thái bài hát."),
    ("nghethuat_mythuat", "Có ý tưởng sáng tạo, sản phẩm hoàn thiện."),
    ("amnhac", "Hát đúng giai điệu, thể hiện được sắc thái bài hát."),
    ("mythuat", "Có ý tưởng sáng tạo, sản phẩm hoàn thiện."),
    ("hdtn_hn", "Tích cực tham gia hoạt động tập thể, bước đầu định hướng được nghề nghiệp."),
    ("gddp", "Hiểu biết về văn hoá, lịch sử của địa phương."),
)
COMMENT_SUBJECT_FAIL: Final = (
    "Chưa hoàn thành các yêu cầu của môn học, cần cố gắng hơn.",
    "Còn thiếu nhiều bài thực hành, cần tích cực hơn.",
)

# Homeroom teacher's year comment: behaviour (by year conduct), learning, advice.
YEAR_CONDUCT_PHRASES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("T", (
        "Em chăm ngoan, lễ phép với thầy cô, hoà đồng với bạn bè.",
        "Em có ý thức tổ chức kỉ luật tốt, luôn chấp hành nội quy của trường, lớp.",
        "Em ngoan, trung thực, biết giúp đỡ bạn bè trong học tập.",
        "Em tích cực tham gia các hoạt động phong trào của lớp và nhà trường.",
    )),
    ("K", (
        "Em ngoan, biết vâng lời thầy cô.",
        "Em chấp hành tương đối tốt nội quy nhà trường, đôi lúc còn chưa tập trung trong giờ học.",
        "Em hiền lành, hoà đồng với bạn bè nhưng còn rụt rè.",
    )),
    ("Đ", (
        "Em còn vi phạm nội quy lớp học một vài lần, cần nghiêm túc hơn.",
        "Em cần chú ý hơn đến tác phong và việc giữ trật tự trong giờ học.",
    )),
    ("CĐ", (
        "Em còn vi phạm nội quy nhiều lần, chưa tiến bộ sau khi được nhắc nhở; "
        "cần rèn luyện thêm trong hè.",
    )),
)
YEAR_LEARNING_PHRASES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("excellent", (
        "Có ý thức học tập tốt, đạt kết quả cao ở nhiều môn.",
        "Học lực vững vàng, tư duy nhanh nhạy, là tấm gương cho các bạn noi theo.",
    )),
    ("good", (
        "Học tập chăm chỉ, kết quả tốt.",
        "Có phương pháp học tập hiệu quả, tiến bộ rõ trong năm học.",
    )),
    ("fair", (
        "Kết quả học tập khá, cần đầu tư thêm cho các môn còn yếu.",
        "Có cố gắng trong học tập, kết quả ở mức khá.",
    )),
    ("pass", (
        "Kết quả học tập chưa cao, cần chăm chỉ hơn và có phương pháp học phù hợp.",
        "Tiếp thu bài còn chậm, cần mạnh dạn hỏi thầy cô khi chưa hiểu bài.",
    )),
    ("fail", (
        "Kết quả học tập còn yếu ở một số môn, cần ôn tập để kiểm tra lại trong hè.",
    )),
    ("absent", (
        "Em nghỉ học nhiều buổi trong năm, ảnh hưởng lớn đến việc học tập.",
    )),
)
YEAR_ADVICE_PHRASES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("up", ("Cần phát huy.", "Chúc em tiếp tục giữ vững thành tích.",
            "Mong em tiếp tục phát huy trong năm học tới.")),
    ("keep", ("Cần cố gắng hơn nữa trong năm học tới.", "Cô mong em tự tin và cố gắng hơn.")),
    ("help", ("Gia đình cần quan tâm, phối hợp với nhà trường nhiều hơn.",
              "Cần có kế hoạch ôn tập cụ thể và sự đồng hành của gia đình.")),
)

# Primary (TT27): subject comments by level T/H/C.
PRIMARY_SUBJECT_COMMENTS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("tiengviet",
     "Đọc to, rõ ràng, lưu loát; viết đúng chính tả, chữ viết đẹp.",
     "Đọc khá trôi chảy, viết còn sai một vài lỗi chính tả.",
     "Đọc còn chậm, viết sai nhiều lỗi chính tả; cần luyện đọc, viết thêm ở nhà."),
    ("toan",
     "Thực hiện thành thạo các phép tính, giải toán có lời văn tốt.",
     "Biết thực hiện các phép tính, cần cẩn thận hơn khi giải toán.",
     "Thực hiện phép tính còn chậm, hay nhầm lẫn; cần luyện tập thêm."),
    ("ngoaingu1",
     "Phát âm chuẩn, mạnh dạn giao tiếp bằng tiếng Anh.",
     "Nhớ được từ vựng cơ bản, cần luyện nói nhiều hơn.",
     "Còn quên nhiều từ vựng, cần ôn luyện thường xuyên."),
    ("lsdl",
     "Nắm chắc các sự kiện lịch sử, đọc bản đồ thành thạo.",
     "Nhớ được các sự kiện chính, cần rèn kĩ năng đọc bản đồ.",
     "Chưa nhớ các sự kiện chính, cần ôn lại bài."),
    ("khoahoc",
     "Hiểu và giải thích được các hiện tượng tự nhiên đơn giản.",
     "Nắm được kiến thức cơ bản, cần liên hệ thực tế nhiều hơn.",
     "Chưa nắm được kiến thức cơ bản, cần cố gắng hơn."),
    ("tinhoc_congnghe",
     "Sử dụng máy tính thành thạo; làm sản phẩm công nghệ đúng yêu cầu.",
     "Biết sử dụng máy tính, làm được sản phẩm đơn giản.",
     "Thao tác máy tính còn lúng túng, cần thực hành thêm."),
    ("daoduc",
     "Thực hiện tốt các hành vi đạo đức đã học.",
     "Biết thực hiện các hành vi đạo đức đã học.",
     "Chưa thực hiện đầy đủ các hành vi đã học."),
    ("tnxh",
     "Hiểu biết về tự nhiên và xã hội xung quanh, biết vận dụng vào cuộc sống.",
     "Nêu được một số hiểu biết về tự nhiên và xã hội xung quanh.",
     "Hiểu biết về tự nhiên và xã hội còn hạn chế."),
    ("gdtc",
     "Thực hiện đúng các động tác, tích cực luyện tập.",
     "Thực hiện được các động tác cơ bản.",
     "Thực hiện động tác chưa đúng, cần luyện tập thêm."),
    ("nghethuat_amnhac",
     "Hát đúng giai điệu, biểu diễn tự tin.",
     "Hát được bài hát, cần thể hiện tự tin hơn.",
     "Chưa thuộc lời bài hát, cần cố gắng hơn."),
    ("nghethuat_mythuat",
     "Vẽ đẹp, phối màu hài hoà, có ý tưởng sáng tạo.",
     "Hoàn thành sản phẩm theo yêu cầu.",
     "Sản phẩm chưa hoàn thiện, cần cố gắng hơn."),
    ("hdtn",
     "Tích cực tham gia các hoạt động trải nghiệm, biết hợp tác với bạn.",
     "Tham gia các hoạt động trải nghiệm cùng các bạn.",
     "Còn rụt rè khi tham gia hoạt động, cần mạnh dạn hơn."),
)

#: (code, kind, name, comment for T, comment for Đ); C uses TRAIT_NEEDS_EFFORT.
TRAITS: Final[tuple[tuple[str, str, str, str, str], ...]] = (
    ("yeu_nuoc", "quality", "Yêu nước",
     "Yêu quê hương, kính trọng thầy cô, yêu quý trường lớp.",
     "Biết yêu quý gia đình, thầy cô và trường lớp."),
    ("nhan_ai", "quality", "Nhân ái",
     "Biết quan tâm, giúp đỡ bạn bè và mọi người xung quanh.",
     "Biết nhường nhịn, hoà đồng với bạn bè."),
    ("cham_chi", "quality", "Chăm chỉ",
     "Chăm học, chăm làm; hoàn thành nhiệm vụ được giao.",
     "Có ý thức học tập, đôi khi còn chưa tập trung."),
    ("trung_thuc", "quality", "Trung thực",
     "Thật thà, dám nhận lỗi khi mắc sai lầm.",
     "Thật thà với thầy cô và bạn bè."),
    ("trach_nhiem", "quality", "Trách nhiệm",
     "Có trách nhiệm với bản thân, giữ gìn đồ dùng học tập cẩn thận.",
     "Biết giữ gìn đồ dùng học tập."),
    ("tu_chu_tu_hoc", "competency", "Tự chủ và tự học",
     "Tự giác học tập, tự chuẩn bị đồ dùng học tập.",
     "Biết tự làm những việc của mình."),
    ("giao_tiep_hop_tac", "competency", "Giao tiếp và hợp tác",
     "Mạnh dạn giao tiếp, hợp tác tốt khi làm việc nhóm.",
     "Biết trao đổi với bạn khi làm việc nhóm."),
    ("gq_van_de_sang_tao", "competency", "Giải quyết vấn đề và sáng tạo",
     "Biết phát hiện và giải quyết vấn đề trong học tập.",
     "Bước đầu biết giải quyết vấn đề đơn giản."),
    ("ngon_ngu", "competency", "Ngôn ngữ",
     "Diễn đạt rõ ràng, mạch lạc.",
     "Diễn đạt được ý của mình."),
    ("tinh_toan", "competency", "Tính toán",
     "Tính toán nhanh, chính xác.",
     "Thực hiện được các phép tính cơ bản."),
    ("khoa_hoc", "competency", "Khoa học",
     "Ham tìm hiểu thế giới tự nhiên, biết giải thích hiện tượng đơn giản.",
     "Có hiểu biết cơ bản về thế giới xung quanh."),
    ("cong_nghe", "competency", "Công nghệ",
     "Sử dụng đồ dùng, công cụ đúng cách và an toàn.",
     "Biết sử dụng một số đồ dùng, công cụ đơn giản."),
    ("tin_hoc", "competency", "Tin học",
     "Sử dụng máy tính đúng cách, thao tác thành thạo.",
     "Biết thao tác cơ bản trên máy tính."),
    ("tham_mi", "competency", "Thẩm mĩ",
     "Cảm nhận được cái đẹp, có khiếu vẽ và hát.",
     "Biết cảm nhận cái đẹp trong cuộc sống."),
    ("the_chat", "competency", "Thể chất",
     "Khoẻ mạnh, tích cực tham gia luyện tập thể dục thể thao.",
     "Tham gia đầy đủ các giờ học thể dục."),
)
TRAIT_NEEDS_EFFORT: Final = "Cần cố gắng hơn; gia đình cần nhắc nhở thêm."

PRIMARY_YEAR_COMMENTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("excellent", (
        "Em ngoan, lễ phép, học tập rất chăm chỉ. Hoàn thành xuất sắc các nội dung học tập "
        "và rèn luyện. Chúc em tiếp tục phát huy.",
        "Em chăm học, tiếp thu bài nhanh, tích cực tham gia các hoạt động của lớp. "
        "Em là tấm gương tốt cho các bạn.",
    )),
    ("good", (
        "Em ngoan, có ý thức học tập tốt, hoàn thành tốt các môn học. Cần phát huy.",
        "Em chăm chỉ, thật thà, biết giúp đỡ bạn bè. Kết quả học tập tốt.",
    )),
    ("ok", (
        "Em ngoan, hoàn thành các môn học. Cần mạnh dạn phát biểu xây dựng bài hơn.",
        "Em có cố gắng trong học tập, cần luyện đọc và luyện viết thêm ở nhà.",
    )),
    ("weak", (
        "Em còn chậm trong học tập, chưa hoàn thành một số môn. Gia đình cần quan tâm, "
        "kèm cặp em nhiều hơn.",
    )),
)

AWARD_TITLES: Final = (
    "Giải Nhất cuộc thi Học sinh giỏi cấp trường môn Toán",
    "Giải Nhì cuộc thi Học sinh giỏi cấp trường môn Ngữ văn",
    "Giải Ba cuộc thi Tiếng Anh cấp tỉnh",
    "Giải Khuyến khích Hội khoẻ Phù Đổng cấp tỉnh",
    "Giấy khen Thành tích xuất sắc trong phong trào Đội",
)
AWARD_TITLES_PRIMARY: Final = (
    "Giải Nhất cuộc thi Viết chữ đẹp cấp trường",
    "Giải Nhì cuộc thi Trạng nguyên Tiếng Việt cấp trường",
    "Giải Ba Hội thi Kể chuyện theo sách cấp trường",
    "Giải Nhất Hội thi Tiếng Anh cấp trường",
    "Giải Khuyến khích cuộc thi Vẽ tranh Em yêu quê hương cấp tỉnh",
)
