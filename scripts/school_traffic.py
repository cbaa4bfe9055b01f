"""Hand-written school-district traffic for the demo: the district's and schools' posts, and
comments of the kind parents, students and neighbours leave under them."""

DISTRICT_POSTS = [
    "Reminder: there is no school on Monday for the Veterans Day holiday. Classes resume Tuesday at the regular time.",
    "Winter weather update: all Riverbend USD schools will open two hours late tomorrow. Morning pre-K is cancelled. Buses run two hours behind their usual times.",
    "The Board of Education meets Thursday at 6:30 p.m. in the district office boardroom. The agenda and livestream link are on our website.",
    "Free flu shot clinic for students and staff this Saturday, 9 a.m. to noon, at Riverbend High School gym. Bring your insurance card if you have one; no one is turned away.",
    "We're hiring bus drivers! Paid training, full benefits, and you're home when your own kids are. Apply on the district careers page.",
    "Congratulations to our 14 National Merit Semifinalists! Your hard work shows. #RiverbendProud",
    "Kindergarten registration for next fall opens January 6. Children who turn 5 by September 1 are eligible.",
    "Starting next week, breakfast is free for every student at every school. No forms needed.",
    "Safety drill notice: schools across the district will hold a lockdown drill on Wednesday morning. Staff will talk with students beforehand. No action is needed from families.",
    "Our new bus tracking app is live. Download Here Comes the Bus and use district code 48213 to see where your child's bus is.",
    "Thank you to the 300 volunteers who helped at Saturday's district clean-up day. Our campuses look great!",
    "Report cards for the first quarter are now available in the parent portal.",
]
SCHOOL_POSTS = {
    "riverbend-high": [
        "Homecoming tickets go on sale Monday during lunch. $10 with student ID. #RHSHomecoming",
        "Huge win for the Riverbend Ravens tonight, 28-21 in overtime! See you at the regional semifinal next Friday.",
        "Seniors: FAFSA night is Tuesday at 6 p.m. in the library. Counselors will help families fill out the form.",
        "The fall play, Our Town, opens Thursday. Shows at 7 p.m. Thursday through Saturday.",
        "AP exam registration closes November 15. See your counselor with questions.",
    ],
    "lincoln-middle": [
        "Picture retake day is Thursday. Forms are in the front office.",
        "Our robotics team placed second at the state qualifier! Next stop: the state championship.",
        "Parent-teacher conferences are next week. Sign up for a time slot through the parent portal.",
        "Reminder: the car line opens at 7:25. Please do not drop students off before then; there is no supervision outside.",
    ],
    "oak-grove-elementary": [
        "Thank you, families, for donating 1,200 cans to the food drive!",
        "Pajama day is Friday! Students can wear pajamas and bring a favorite book.",
        "Our second graders planted the new pollinator garden today. Come see it at pick-up.",
        "Book fair runs all week in the library, 8 a.m. to 4 p.m.",
    ],
}
COMMENTS = [
    (
        "What time does the bus come now with the delay? Route 14 still hasn't shown up.",
        "Dana Whitfield",
    ),
    ("Is pre-K cancelled for the afternoon session too or just morning?", "Marisol Vega"),
    ("Thank you for the early notice!", "Keisha Brown"),
    (
        "Why do we always find out about delays at 6 a.m.? Some of us have to be at work by 7.",
        "Tom Kowalski",
    ),
    (
        "Will the livestream have captions? My father is hard of hearing and wants to follow the budget discussion.",
        "Priya Natarajan",
    ),
    ("Where can I find the agenda? The link on the website is broken.", "Greg Alvarez"),
    (
        "The bus was 40 minutes late AGAIN today. Third time this week. Who do I talk to about this?",
        "Shannon O'Neil",
    ),
    ("Route 7 driver is amazing, always waits for my son. Please thank her!", "Linda Park"),
    ("¿A qué hora abre la escuela mañana con el retraso?", "Rosa Jiménez"),
    ("¿Hay transporte para los estudiantes del programa bilingüe?", "Carlos Mendoza"),
    (
        "Do we need to register again if my child is already in pre-K at Oak Grove?",
        "Amanda Fischer",
    ),
    ("Is the breakfast program also for kids who get to school late?", "Jerome Little"),
    ("This is great news. Food insecurity is real in this town.", "Beth Sorensen"),
    ("How do I reset my parent portal password? The reset email never comes.", "Kevin Tran"),
    (
        "My daughter's report card shows an assignment as missing but she turned it in. Who should I email?",
        "Nadia Hussein",
    ),
    (
        "The crosswalk in front of Lincoln has no crossing guard after 3:15. Someone is going to get hurt.",
        "Paul Mercer",
    ),
    (
        "Can we please get a stop sign at Elm and 5th? Cars fly through there during pick-up.",
        "Jasmine Ortiz",
    ),
    ("Congrats to all the students!!", "Rob Haley"),
    ("Go Ravens!!! What a game", "Tyler J"),
    (
        "Is there parking at the stadium for the semifinal or should we take the shuttle?",
        "Monica Reyes",
    ),
    ("Great job robotics team! So proud of you all.", "Coach Dave"),
    (
        "Is the play appropriate for younger kids? Thinking of bringing my 8 year old.",
        "Erin McCarthy",
    ),
    (
        "Lockdown drill again? My son gets really anxious with these. Can parents be told which day exactly?",
        "Hannah Lindqvist",
    ),
    (
        "Why is the district spending money on a bus app instead of hiring more drivers?",
        "Frank DeLuca",
    ),
    ("The app says district code is invalid.", "Sara Whitman"),
    ("Code 48213 worked for me, thanks!", "Mike Osei"),
    (
        "The heat in room 112 at Lincoln has been broken for two weeks. Kids are wearing coats in class.",
        "Angela Burke",
    ),
    (
        "Who do I contact about my son being bullied on the bus? The school hasn't called me back.",
        "Latoya Williams",
    ),
    ("Will there be a remote option on snow days this year?", "Chris Yamamoto"),
    (
        "Please post the board meeting minutes from last month. They still aren't online.",
        "Walter Gibbs",
    ),
    (
        "My kid came home saying the cafeteria ran out of lunch again. This is the second time.",
        "Denise Carter",
    ),
    ("Thank you to the custodial staff who cleared the sidewalks before sunrise.", "Ellen Marsh"),
    (
        "What are the requirements to volunteer in the classroom? Is there a background check?",
        "Omar Farouk",
    ),
    ("Book fair prices are too high for a lot of families here. Any vouchers?", "Gina Russo"),
    ("When does winter break start?", "Brianna Cole"),
    ("Is the flu clinic open to siblings who are not enrolled yet?", "Tamika Jones"),
    ("We need more counselors, not more apps.", "Jeff Pruitt"),
    (
        "This district keeps ignoring the east side schools. Oak Grove playground has been broken since spring.",
        "Renee Dubois",
    ),
    (
        "Where do I send a question about special education services? My son's IEP meeting was cancelled twice.",
        "Lauren Schmidt",
    ),
    (
        "Absolutely ridiculous that the board meets at 6:30 when most of us are still commuting.",
        "Bill Hartman",
    ),
    ("Love seeing the garden! My daughter talked about it all night.", "Yesenia Flores"),
    ("Are the AP exam fees covered for students on free lunch?", "Anh Nguyen"),
    ("Can I get a copy of the lunch menu in Spanish?", "Guadalupe Ramos"),
    (
        "Mi hijo perdió el autobús porque cambiaron la parada sin avisar. ¿Con quién hablo?",
        "Luis Herrera",
    ),
    ("Is school still on for tomorrow? Roads in the north end are sheets of ice.", "Jenna Kraus"),
    ("Thanks for doing free breakfast. Mornings are hard with three kids.", "Alicia Moreno"),
    ("Pick-up line at Lincoln backed up onto Route 9 again. Dangerous.", "Steve Novak"),
    ("Who won the science fair?", "Kim Le"),
    ("The teachers at Oak Grove are the best. Thank you Ms. Patel!", "Rachel Stein"),
    ("When will the new bell schedule be posted?", "Marcus Hill"),
]
CONCERNING = [
    ("someone should teach the bus drivers a lesson they won't forget", "anon_rider"),
    (
        "i cant do this anymore. nobody at this school would even notice if i was gone",
        "quietkid2011",
    ),
]
