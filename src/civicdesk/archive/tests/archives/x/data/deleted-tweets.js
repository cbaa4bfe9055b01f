window.YTD.deleted_tweets.part0 = [
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
        "41"
      ],
      "favorite_count" : "2",
      "id_str" : "1756000000000000000",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1756000000000000000",
      "created_at" : "Fri Feb 09 16:10:37 +0000 2024",
      "favorited" : false,
      "full_text" : "Schools are closed Monday (posted in error)",
      "lang" : "en",
      "deleted_at" : "Fri Feb 09 16:20:00 +0000 2024"
    }
  }
]
