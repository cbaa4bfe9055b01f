window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1757000000000000001"
          ],
          "editableUntil" : "2024-02-12T13:30:00.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : true
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "display_text_range" : [
        "0",
        "27"
      ],
      "favorite_count" : "4",
      "in_reply_to_status_id_str" : "1757000000000000000",
      "id_str" : "1757000000000000001",
      "in_reply_to_user_id" : "1234567890",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1757000000000000001",
      "in_reply_to_status_id" : "1757000000000000000",
      "created_at" : "Mon Feb 12 12:45:00 +0000 2024",
      "favorited" : false,
      "full_text" : "Buses run 2 hours late &amp; breakfast is served &lt;8am&gt;.",
      "lang" : "en",
      "in_reply_to_screen_name" : "RiverbendUSD",
      "in_reply_to_user_id_str" : "1234567890"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1757000000000000000"
          ],
          "editableUntil" : "2024-02-12T13:00:00.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : true
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [
          {
            "text" : "SnowDay",
            "indices" : [
              "38",
              "46"
            ]
          }
        ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ],
        "media" : [
          {
            "expanded_url" : "https://twitter.com/RiverbendUSD/status/1757000000000000000/photo/1",
            "indices" : [
              "47",
              "70"
            ],
            "url" : "https://t.co/abcDEF1234",
            "media_url" : "http://pbs.twimg.com/media/GGsnowDayXYZ.jpg",
            "id_str" : "1756999999000000000",
            "id" : "1756999999000000000",
            "media_url_https" : "https://pbs.twimg.com/media/GGsnowDayXYZ.jpg",
            "type" : "photo",
            "display_url" : "pic.twitter.com/abcDEF1234"
          }
        ]
      },
      "display_text_range" : [
        "0",
        "46"
      ],
      "favorite_count" : "57",
      "id_str" : "1757000000000000000",
      "truncated" : false,
      "retweet_count" : "21",
      "id" : "1757000000000000000",
      "possibly_sensitive" : false,
      "created_at" : "Mon Feb 12 12:30:00 +0000 2024",
      "favorited" : false,
      "full_text" : "Schools open on a 2-hour delay today. #SnowDay https://t.co/abcDEF1234",
      "lang" : "en",
      "extended_entities" : {
        "media" : [
          {
            "expanded_url" : "https://twitter.com/RiverbendUSD/status/1757000000000000000/photo/1",
            "indices" : [
              "47",
              "70"
            ],
            "url" : "https://t.co/abcDEF1234",
            "media_url" : "http://pbs.twimg.com/media/GGsnowDayXYZ.jpg",
            "id_str" : "1756999999000000000",
            "id" : "1756999999000000000",
            "media_url_https" : "https://pbs.twimg.com/media/GGsnowDayXYZ.jpg",
            "type" : "photo",
            "ext_alt_text" : "A snow plow clearing the bus loop in front of Riverbend High.",
            "display_url" : "pic.twitter.com/abcDEF1234"
          }
        ]
      }
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "display_text_range" : [
        "0",
        "34"
      ],
      "favorite_count" : "0",
      "id_str" : "1700000000000000000",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1700000000000000000",
      "created_at" : "Sat Sep 09 07:00:00 -0500 2023",
      "favorited" : false,
      "full_text" : "¡Bienvenidos al nuevo año escolar! 🎒",
      "lang" : "es"
    }
  }
]
