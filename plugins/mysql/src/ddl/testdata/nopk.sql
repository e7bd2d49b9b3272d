CREATE TABLE `nopk` (
  `a` int(11) NOT NULL,
  `b` int(11) DEFAULT NULL,
  `c` int(11) NOT NULL,
  UNIQUE KEY `uac` (`a`,`c`),
  UNIQUE KEY `ub` (`b`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
